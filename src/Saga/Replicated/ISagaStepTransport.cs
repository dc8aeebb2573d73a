using Wallet.Engine.Ledger;

namespace Wallet.Saga.Replicated;

/// <summary>
/// How a <see cref="SagaReplica"/> that leads reaches the partitions: step transfers (<see cref="CommandKind.SystemTransfers"/>)
/// and the clearing accounts they need (<see cref="CommandKind.SystemCreateAccounts"/>). In process
/// (<see cref="LocalStepTransport"/>) when the partitions' engines are here, or over the network to each partition's
/// leader. Called on the replica's thread only. Every step is idempotent on its partition (its id is derived from the
/// saga), so a transport may lose, repeat or reorder them: unanswered steps are resent.
/// </summary>
public interface ISagaStepTransport
{
    /// <summary>Where answers go: set once, before the first send.</summary>
    void Attach(ISagaStepAnswers answers);

    /// <summary>Offers steps for one partition (at most <see cref="MaxStepsPerSend"/>); false when it cannot take them now (kept, offered again next round).</summary>
    bool TrySend(int partition, ReadOnlySpan<Transfer> steps);

    /// <summary>Offers the partition's clearing accounts (created once; "exists" is fine). False when it cannot take them now.</summary>
    bool TryCreateClearingAccounts(int partition, ReadOnlySpan<Account> accounts);

    /// <summary>The largest number of steps one <see cref="TrySend"/> may carry.</summary>
    int MaxStepsPerSend { get; }
}

/// <summary>Receives the partitions' answers to steps, from any thread (must not block).</summary>
public interface ISagaStepAnswers
{
    void OnStepResult(UInt128 stepId, ResultCode code);
}
