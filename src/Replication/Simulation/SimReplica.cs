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
    private readonly RaftOptions? _rejoinOptions;
    private readonly LedgerOptions _ledgerOptions;
    private readonly int _garblePerMillion;
    private readonly SimRandom _random;
    private readonly IRaftOutbox _outbox;
    private readonly CreateResult[] _results;

    private readonly int _snapshotInterval;
    private readonly int _retainMargin;
    private long _lastSnapshotIndex;
    private long _installsSeen;

    /// <param name="id">Node id.</param>
    /// <param name="raftOptions">The node's options.</param>
    /// <param name="ledgerOptions">The state machine's options.</param>
    /// <param name="random">This replica's share of the seed.</param>
    /// <param name="outbox">Its link to the simulated network.</param>
    /// <param name="garblePerMillion">Chance a received snapshot chunk is garbled on disk.</param>
    /// <param name="snapshotInterval">Applied entries between snapshots of this replica's state (0: never, the log is kept whole).</param>
    /// <param name="retainMargin">Entries kept in the log below the newest snapshot (ordinary catch-up still comes from the log).</param>
    /// <param name="rejoinOptions">The node's options after a data loss (<see cref="RaftOptions.RejoinAfterDataLoss"/>); null: the same as <paramref name="raftOptions"/>.</param>
    public SimReplica(int id, RaftOptions raftOptions, LedgerOptions ledgerOptions, SimRandom random, IRaftOutbox outbox,
        int snapshotInterval = 0, int retainMargin = 0, int garblePerMillion = 0, RaftOptions? rejoinOptions = null)
    {
        Id = id;
        _rejoinOptions = rejoinOptions;
        _garblePerMillion = garblePerMillion;
        _snapshotInterval = snapshotInterval;
        _retainMargin = retainMargin;
        Snapshots = new SimSnapshotStore(random.Fork(), garblePerMillion);
        _raftOptions = raftOptions;
        _ledgerOptions = ledgerOptions;
        _random = random;
        _outbox = outbox;
        _results = new CreateResult[ledgerOptions.MaxBatchSize];
    }

    public int Id { get; }
    public SimLog Log { get; private set; } = new();
    public SimStateStore Store { get; private set; } = new();
    public SimSnapshotStore Snapshots { get; private set; }

    /// <summary>
    /// The disk was lost (set by <see cref="LoseDisk"/>): the replica restarts as a rejoining one until its node reports
    /// caught up, even across further crashes.
    /// </summary>
    public bool MustRejoin { get; set; }

    /// <summary>Snapshots this replica installed from a leader (all lives) and wrote itself.</summary>
    public long SnapshotsInstalled { get; private set; }
    public long SnapshotsWritten { get; private set; }
    public long SnapshotsRejected { get; private set; }
    public RaftNode? Node { get; private set; }
    public LedgerStateMachine? Ledger { get; private set; }

    /// <summary>Index of the last entry applied to <see cref="Ledger"/> (0 after a restart).</summary>
    public long Applied { get; private set; }

    public bool Up => Node is not null;
    public int Crashes { get; private set; }

    /// <summary>A down replica's disk is replaced by an empty one: log, hard state (term, vote) and snapshot files are gone.</summary>
    public void LoseDisk()
    {
        if (Up) throw new InvalidOperationException("a replica loses its disk only while down");
        Log = new SimLog();
        Store = new SimStateStore();
        Snapshots = new SimSnapshotStore(_random.Fork(), _garblePerMillion);
    }

    public void Start()
    {
        // Recovery, as the production partition does it: the newest snapshot is the state; if the log does not hold its
        // entry (the crash came between installing a received snapshot and resetting the log), the reset is finished now.
        Ledger = new LedgerStateMachine(_ledgerOptions);
        Applied = 0;
        _lastSnapshotIndex = 0;
        if (Snapshots.TryGetNewestFile(out var meta, out var bytes))
        {
            if (meta.Index > Log.LastIndex || (meta.Index >= Log.FirstIndex - 1 && Log.TermAt(meta.Index) != meta.Term))
                Log.ResetAfterSnapshot(meta.Index, meta.Term, meta.TimestampNs);
            RestoreFrom(meta, bytes);
        }
        else if (Log.FirstIndex > 1)
        {
            throw new SimFailureException($"replica {Id}: log starts at {Log.FirstIndex} but no snapshot covers what precedes it");
        }

        Node = new RaftNode(MustRejoin && _rejoinOptions is not null ? _rejoinOptions : _raftOptions, Log, Store, _random, _outbox, _snapshotInterval > 0 ? Snapshots : null);
        _installsSeen = 0;
    }

    private void RestoreFrom(in RaftSnapshotMeta meta, byte[] bytes)
    {
        if (SimSnapshotStore.Verify(bytes, meta) is { } error) throw new SimFailureException($"replica {Id}: installed snapshot {meta.Index} does not verify: {error}");
        var header = Wallet.Engine.Snapshots.SnapshotHeader.TryRead(bytes, out _)!.Value;
        using var payload = new MemoryStream(bytes, Wallet.Engine.Snapshots.SnapshotHeader.SizeBytes, bytes.Length - Wallet.Engine.Snapshots.SnapshotHeader.SizeBytes, writable: false);
        var ledger = LedgerStateMachine.Restore(_ledgerOptions, payload);
        if (ledger.LastIndex != meta.Index) throw new SimFailureException($"replica {Id}: snapshot {meta.Index} holds state at {ledger.LastIndex}");
        if (ledger.ComputeDigest() != header.Digest) throw new SimFailureException($"replica {Id}: snapshot {meta.Index} restores a state whose digest differs from the stored one");
        Ledger = ledger;
        Applied = meta.Index;
        _lastSnapshotIndex = Math.Max(_lastSnapshotIndex, meta.Index);
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
            SnapshotsRejected += n.Counters.SnapshotsRejected;
        }

        Snapshots.Crash();

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
        if (node.SnapshotInstalls != _installsSeen)
        {
            // The node installed a leader's snapshot: the state machine restarts from it (unless it is already past it).
            _installsSeen = node.SnapshotInstalls;
            SnapshotsInstalled++;
            var installed = node.LastInstalledSnapshot;
            if (installed.Index > Applied)
            {
                if (!Snapshots.TryGetNewestFile(out var meta, out var bytes) || meta != installed)
                    throw new SimFailureException($"replica {Id}: installed snapshot {installed.Index} is not the newest file");
                RestoreFrom(meta, bytes);
            }
        }

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

        if (_snapshotInterval > 0 && Applied - _lastSnapshotIndex >= _snapshotInterval) TakeSnapshot();
    }

    /// <summary>Snapshot of the applied state, then retention: the log keeps <c>retainMargin</c> entries below it.</summary>
    private void TakeSnapshot()
    {
        var ledger = Ledger!;
        var image = ledger.CaptureImage();
        using var payload = new MemoryStream();
        image.WriteTo(payload);
        Snapshots.Save(image.LastIndex, image.LastTerm, image.LastTimestamp, image.ComputeDigest(), payload.ToArray());
        _lastSnapshotIndex = image.LastIndex;
        SnapshotsWritten++;
        Log.CompactBefore(image.LastIndex - _retainMargin + 1);
    }
}
