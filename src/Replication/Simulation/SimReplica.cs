using Wallet.Engine.Ledger;

namespace Wallet.Replication.Simulation;

/// <summary>
/// One simulated replica: its disk (log + hard state) survives crashes; the <see cref="RaftNode"/> and the
/// <see cref="LedgerStateMachine"/> (the BLP) live in memory and are rebuilt on restart by replaying committed entries.
/// </summary>
internal sealed class SimReplica
{
    private const int ApplyCursor = 7;
    private readonly RaftOptions _raftOptions;
    private readonly LedgerOptions _ledgerOptions;
    private readonly SimRandom _random;
    private readonly IRaftOutbox _outbox;
    private readonly CreateResult[] _results;

    public SimReplica(int id, RaftOptions raftOptions, LedgerOptions ledgerOptions, SimRandom random, IRaftOutbox outbox)
    {
        Id = id;
        _raftOptions = raftOptions;
        _ledgerOptions = ledgerOptions;
        _random = random;
        _outbox = outbox;
        _results = new CreateResult[ledgerOptions.MaxBatchSize];
    }

    public int Id { get; }
    public SimLog Log { get; } = new();
    public SimStateStore Store { get; } = new();
    public RaftNode? Node { get; private set; }
    public LedgerStateMachine? Ledger { get; private set; }

    /// <summary>Index of the last entry applied to <see cref="Ledger"/> (0 after a restart).</summary>
    public long Applied { get; private set; }

    public bool Up => Node is not null;
    public int Crashes { get; private set; }

    public void Start()
    {
        Node = new RaftNode(_raftOptions, Log, Store, _random, _outbox);
        Ledger = new LedgerStateMachine(_ledgerOptions);
        Applied = 0;
    }

    /// <summary>Counters of the node's earlier lives (a crash loses the in-memory node).</summary>
    public long PastElections { get; private set; }
    public long PastStepDowns { get; private set; }
    public long PastTruncations { get; private set; }

    public void Crash()
    {
        if (Node is { } n)
        {
            PastElections += n.Counters.ElectionsStarted;
            PastStepDowns += n.Counters.CheckQuorumStepDowns;
            PastTruncations += n.Counters.Truncations;
        }

        Node = null;
        Ledger = null;
        Applied = 0;
        Crashes++;
        Log.Crash(_random);
    }

    /// <summary>Applies committed entries in order; calls <paramref name="onApplied"/> with each entry's ledger results.</summary>
    public void ApplyCommitted(Action<SimReplica, RaftLogEntry, ReadOnlySpan<CreateResult>> onApplied)
    {
        var node = Node!;
        var ledger = Ledger!;
        while (Applied < node.CommitIndex)
        {
            var index = Applied + 1;
            if (!Log.TryRead(ApplyCursor, index, out var entry)) throw new SimFailureException($"replica {Id}: committed entry {index} is not in its log (last {Log.LastIndex})");
            var count = 0;
            if (entry.Type is >= (ushort)CommandKind.CreateAccounts and <= (ushort)CommandKind.Tick)
            {
                var sink = default(NullLedgerEventSink);
                count = ledger.Execute(new CommandStamp(index, entry.Term, entry.TimestampNs), (CommandKind)entry.Type, entry.Payload, _results, ref sink);
            }

            Applied = index;
            onApplied(this, entry, _results.AsSpan(0, count));
        }
    }
}
