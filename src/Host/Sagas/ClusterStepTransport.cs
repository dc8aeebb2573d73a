using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Replication.Cluster;
using Wallet.Saga.Replicated;

namespace Wallet.Host.Sagas;

/// <summary>
/// Steps from this node's saga replica (when it leads the saga group) to the partitions of a cluster: into the local
/// engine when this node's consensus agent leads that partition (no network hop), otherwise over the SBE gateway of
/// the partition's leader as a System session (<see cref="RemoteStepLink"/>). A step sent down a path that has just
/// lost its leader is simply not answered, and the replica resends it (same id: applied once).
/// <para>Clearing accounts: each path makes sure the partition has them before its first step — the local path once per
/// term this node leads the partition, a remote link once per connection — so a step never overtakes the creation of the
/// account it names, whichever way leaderships move (creation is idempotent: "exists" is fine).</para>
/// </summary>
internal sealed class ClusterStepTransport : ISagaStepTransport, IAsyncDisposable
{
    private readonly LocalStepTransport _local;
    private readonly RemoteStepLink[] _remote;
    private IReadOnlyList<ConsensusAgent> _agents = [];
    private ISagaStepAnswers? _answers;
    private readonly Account[]?[] _clearing;
    private readonly long[] _localClearedTerm;

    public ClusterStepTransport(int partitions, Func<int, RemoteStepLink> remoteFor)
    {
        ArgumentNullException.ThrowIfNull(remoteFor);
        _local = new LocalStepTransport(partitions);
        _remote = new RemoteStepLink[partitions];
        for (int p = 0; p < partitions; p++) _remote[p] = remoteFor(p);
        _clearing = new Account[]?[partitions];
        _localClearedTerm = new long[partitions];
        Array.Fill(_localClearedTerm, -1);
    }

    public int MaxStepsPerSend => _local.MaxStepsPerSend;

    /// <summary>Failed sends over the network, all partitions (see <see cref="RemoteStepLink.Failures"/>).</summary>
    public long RemoteFailures
    {
        get
        {
            long total = 0;
            foreach (RemoteStepLink r in _remote) total += r.Failures;
            return total;
        }
    }

    /// <summary>The result handler partition <paramref name="partition"/>'s engine starts with (our answers here, the rest to <paramref name="inner"/>).</summary>
    public IPartitionResultHandler RouterFor(int partition, IPartitionResultHandler inner) => _local.RouterFor(partition, inner);

    public void Bind(int partition, PartitionEngine engine) => _local.Bind(partition, engine);

    /// <summary>Once the consensus agents run: which partitions this node leads decides the path.</summary>
    public void BindAgents(IReadOnlyList<ConsensusAgent> agents) => Volatile.Write(ref _agents, agents);

    public void Attach(ISagaStepAnswers answers)
    {
        _answers = answers;
        _local.Attach(answers);
    }

    /// <summary>This node's agent leads <paramref name="partition"/>: its term, else -1.</summary>
    private long LocalLeaderTerm(int partition)
    {
        IReadOnlyList<ConsensusAgent> agents = Volatile.Read(ref _agents);
        if (partition >= agents.Count || !agents[partition].IsLeader) return -1;
        return agents[partition].Term;
    }

    public bool TrySend(int partition, ReadOnlySpan<Transfer> steps)
    {
        Account[] clearing = _clearing[partition] ?? throw new InvalidOperationException($"steps for partition {partition} before its clearing accounts");
        long term = LocalLeaderTerm(partition);
        if (term < 0) return _remote[partition].TrySend(steps, clearing, _answers!);
        if (_localClearedTerm[partition] != term)
        {
            // Queued before the steps in the same ingress ring, so applied before them.
            if (!_local.TryCreateClearingAccounts(partition, clearing)) return false;
            _localClearedTerm[partition] = term;
        }
        return _local.TrySend(partition, steps);
    }

    /// <summary>Remembers the accounts; each path creates them before its first step (see the class remarks).</summary>
    public bool TryCreateClearingAccounts(int partition, ReadOnlySpan<Account> accounts)
    {
        _clearing[partition] = accounts.ToArray();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RemoteStepLink r in _remote) await r.DisposeAsync().ConfigureAwait(false);
    }
}
