using Wallet.Engine.Ledger;
using Wallet.Engine.Snapshots;
using Wallet.Replication;
using Wallet.Replication.Simulation;
using Wallet.Saga.Replicated;

namespace Wallet.Saga.Tests;

/// <summary>
/// One simulated replica of the replicated saga sequencer: the product's <see cref="SagaReplicaCore"/> (the code
/// <see cref="SagaReplica"/> runs on its thread) over a simulated disk — log (<see cref="SimLog"/>: a crash keeps the
/// synced prefix and part of the tail), hard state and snapshot files, all surviving crashes — and a simulated network.
/// The inbox is a bounded queue drained the way <see cref="SagaReplica"/> drains its ring: repeats first, then
/// submissions and step answers until the core's buffers are full. A crash loses the core, the inbox and every waiter
/// (their clients see the connection drop).
/// </summary>
internal sealed class SimSagaReplica : ISagaStepAnswers
{
    private const int ApplyCursor = 7; // the node uses one cursor per member slot (0..3)
    private const int InboxCapacity = 4096;
    private readonly SagaReplicaOptions _options;
    private readonly RaftOptions _raft;
    private readonly int _maxBegins;
    private readonly int _maxOutcomes;
    private readonly SimRandom _random;
    private readonly IRaftOutbox _outbox;
    private readonly Func<int, int, SimStepTransport> _newTransport;
    private readonly Queue<InboxItem> _inbox = new();

    public SimSagaReplica(int id, SagaReplicaOptions options, RaftOptions raft, SimRandom random, IRaftOutbox outbox, Func<int, int, SimStepTransport> newTransport)
    {
        Id = id;
        _options = options;
        _raft = SagaReplicaCore.SizeRaftOptions(raft, options.Saga, out _maxBegins, out _maxOutcomes);
        _random = random;
        _outbox = outbox;
        _newTransport = newTransport;
        Snapshots = new SimSnapshotStore(random.Fork(), garblePerMillion: 2_000);
    }

    public int Id { get; }

    public SimLog Log { get; } = new();

    public SimStateStore Store { get; } = new();

    public SimSnapshotStore Snapshots { get; }

    public SagaReplicaCore? Core { get; private set; }

    public SimStepTransport? Transport { get; private set; }

    public bool Up => Core is not null;

    /// <summary>Incremented at every start: messages and answers addressed to an earlier life are dropped.</summary>
    public int Life { get; private set; }

    public int Crashes { get; private set; }

    public int SnapshotRestarts { get; private set; }

    public int LogOnlyRestarts { get; private set; }

    /// <summary>Snapshot counters of earlier lives.</summary>
    public long PastSnapshotsWritten { get; private set; }

    public long PastSnapshotsInstalled { get; private set; }

    /// <summary>
    /// Starts (or restarts) the replica as <see cref="SagaReplica"/> does: the table from the newest snapshot (finishing a
    /// log reset an install left undone), or — <paramref name="fromLogOnly"/>, when the log still starts at 1 — an empty
    /// table that re-applies the whole log once the commit index is learnt (a lost snapshot directory).
    /// </summary>
    public void Start(bool fromLogOnly)
    {
        var machine = new SagaStateMachine(_options.Saga);
        var useSnapshot = !fromLogOnly || Log.FirstIndex > 1;
        if (useSnapshot && Snapshots.TryGetNewestFile(out var meta, out var bytes))
        {
            if (meta.Index > Log.LastIndex || (meta.Index >= Log.FirstIndex - 1 && Log.TermAt(meta.Index) != meta.Term))
                Log.ResetAfterSnapshot(meta.Index, meta.Term, meta.TimestampNs);
            machine = SimSagaSnapshots.Load(_options.Saga, bytes) ?? throw new SimFailureException($"saga replica {Id}: its newest snapshot {meta.Index} does not load");
            SnapshotRestarts += Life > 0 ? 1 : 0;
        }
        else if (Log.FirstIndex > 1)
        {
            throw new SimFailureException($"saga replica {Id}: log starts at {Log.FirstIndex} but no snapshot covers what precedes it");
        }
        else if (Life > 0)
        {
            LogOnlyRestarts++;
        }

        Life++;
        var node = new RaftNode(_raft, Log, Store, _random, _outbox, Snapshots);
        Transport = _newTransport(Id, Life);
        Core = new SagaReplicaCore(_options, node, Log, ApplyCursor, new SimSagaSnapshots(Snapshots, Log), machine, Transport, _maxBegins, _maxOutcomes);
        Transport.Attach(this);
    }

    /// <summary>Machine crash: the process state is gone (no waiter hears anything); the disk keeps what was synced.</summary>
    public void Crash()
    {
        if (Core is { } core)
        {
            PastSnapshotsWritten += core.SnapshotsWritten;
            PastSnapshotsInstalled += core.SnapshotsInstalled;
        }

        Core = null;
        Transport = null;
        _inbox.Clear();
        Crashes++;
        Snapshots.Crash();
        Log.Crash(_random);
    }

    /// <summary><see cref="SagaReplica.TrySubmit"/>'s contract.</summary>
    public SagaReplicaSubmit TrySubmit(in Transfer transfer, SagaMode mode, long correlationId, ISagaReplicaCompletion completion)
    {
        if (Core is not { } core) return SagaReplicaSubmit.NotRunning;
        if (core.Role != RaftRole.Leader) return SagaReplicaSubmit.NotLeader;
        if (_inbox.Count >= InboxCapacity) return SagaReplicaSubmit.Busy;
        _inbox.Enqueue(new InboxItem(true, transfer, mode, correlationId, completion, 0, 0, 0));
        return SagaReplicaSubmit.Accepted;
    }

    public void OnStepResult(UInt128 stepId, ResultCode code)
    {
        if (Core is null || _inbox.Count >= InboxCapacity || !SagaCommands.TryParseStepId(stepId, out var sagaId, out var step)) return;
        _inbox.Enqueue(new InboxItem(false, default, 0, 0, null, sagaId, step, code));
    }

    /// <summary>One pass of <see cref="SagaReplica"/>'s loop after the peers' messages were received: inbox, then the core.</summary>
    public int Loop(long nowMs)
    {
        var core = Core!;
        var leader = core.NodeLeads;
        var work = 0;
        if (core.DrainResubmits(leader) > 0)
        {
            work++;
        }
        else
        {
            while (_inbox.TryDequeue(out var item))
            {
                work++;
                var transfer = item.Transfer;
                var more = item.IsBegin
                    ? core.AcceptBegin(item.Completion!, item.CorrelationId, in transfer, item.Mode, leader)
                    : core.AcceptOutcome(item.SagaId, item.Step, item.Code, leader);
                if (!more) break;
            }
        }

        return work + core.Advance(nowMs, leader);
    }

    private readonly record struct InboxItem(bool IsBegin, Transfer Transfer, SagaMode Mode, long CorrelationId, ISagaReplicaCompletion? Completion,
        ulong SagaId, SagaStep Step, ResultCode Code);
}

/// <summary>A simulated replica's snapshot files (production format) and its log's retention.</summary>
internal sealed class SimSagaSnapshots(SimSnapshotStore store, SimLog log) : ISagaReplicaSnapshots
{
    public void Write(long index, long term, long timestampNs, UInt128 digest, Action<Stream> writePayload)
    {
        using var payload = new MemoryStream();
        writePayload(payload);
        store.Save(index, term, timestampNs, digest, payload.ToArray());
    }

    public long OldestIndex => store.TryGetOldest(out var meta) ? meta.Index : 0;

    public void CompactLogBefore(long index) => log.CompactBefore(index);

    public SagaStateMachine? LoadNewestValid(SagaOptions options) => store.TryGetNewestFile(out _, out var bytes) ? Load(options, bytes) : null;

    /// <summary>The table in a snapshot file, if its header, checksums, index and digest all agree; else null.</summary>
    public static SagaStateMachine? Load(SagaOptions options, byte[] bytes)
    {
        if (SnapshotHeader.TryRead(bytes, out _) is not { } header || SnapshotHeader.SizeBytes + header.PayloadBytes != bytes.Length) return null;
        try
        {
            using var payload = new MemoryStream(bytes, SnapshotHeader.SizeBytes, bytes.Length - SnapshotHeader.SizeBytes, writable: false);
            var machine = SagaStateMachine.Restore(options, payload);
            return machine.LastIndex == header.Index && machine.ComputeDigest() == header.Digest ? machine : null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
