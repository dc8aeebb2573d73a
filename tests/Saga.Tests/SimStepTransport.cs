using Wallet.Engine.Ledger;
using Wallet.Saga.Replicated;

namespace Wallet.Saga.Tests;

/// <summary>
/// How a simulated saga replica reaches the ledger partitions (the role of the product's <c>ClusterStepTransport</c>):
/// steps go over the world's lossy, duplicating, reordering link; the clearing accounts are sent and, like the remote
/// path, reported created only once a partition's answer came back (resent every 40 ms until then).
/// </summary>
internal sealed class SimStepTransport(ReplicatedSagaSim world, int replica, int life, int partitions) : ISagaStepTransport
{
    private const long ClearingResendMs = 40;
    private readonly bool[] _clearingAnswered = new bool[partitions];
    private readonly long[] _clearingAskedAtMs = new long[partitions];
    private ISagaStepAnswers? _answers;

    public int MaxStepsPerSend => 32;

    public ISagaStepAnswers? Answers => _answers;

    public void Attach(ISagaStepAnswers answers) => _answers = answers;

    public bool TrySend(int partition, ReadOnlySpan<Transfer> steps)
    {
        world.SendSteps(replica, life, partition, steps.ToArray());
        return true;
    }

    public bool TryCreateClearingAccounts(int partition, ReadOnlySpan<Account> accounts)
    {
        if (_clearingAnswered[partition])
        {
            _clearingAnswered[partition] = false; // the next leadership asks again
            return true;
        }

        if (_clearingAskedAtMs[partition] == 0 || world.NowMs - _clearingAskedAtMs[partition] >= ClearingResendMs)
        {
            _clearingAskedAtMs[partition] = world.NowMs;
            world.SendClearingAccounts(replica, life, partition, accounts.ToArray());
        }

        return false;
    }

    /// <summary>A partition answered a clearing-account creation (Ok or Exists): the accounts are there.</summary>
    public void OnClearingAnswered(int partition) => _clearingAnswered[partition] = true;
}
