using System.Net;
using System.Runtime.InteropServices;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Ring;
using Wallet.Engine.Snapshots;
using Wallet.Replication;
using Wallet.Replication.Cluster;
using Wallet.Replication.Transport;

namespace Wallet.Saga.Replicated;

/// <summary>
/// One replica of the saga sequencer as its own replicated group (docs/SAGA.md, "Replicated sequencer"): the saga
/// journal is the group's Raft log, and every replica applies committed entries only, in log order, to its own
/// <see cref="SagaStateMachine"/> — a hot standby with the same table. One thread per replica owns the
/// <see cref="RaftNode"/>, the transport and the machine. Each loop: peer messages → (leader) propose what was submitted
/// and answered (Begin, StepOutcome batches, Tick while sagas are open) → timers → flush (sync, stream, commit) → apply
/// what is committed → (leader) send the steps the machine asked for, answer the submitters whose saga ended, resend
/// overdue steps → snapshot every N commands.
/// <para>Only the leader acts on the world: a follower's machine decides the same things, but its sink discards them.
/// A new leader first applies everything up to its own term's first entry (so its table is complete), then resends
/// every open saga's outstanding steps — same step ids, applied once by the partitions — and carries on. Submitters
/// waiting on a replica that stops leading are told <see cref="ISagaReplicaCompletion.OnNotLeader"/>; correlation ids are
/// scoped by term, so a leader never mistakes another leader's Begin for one of its own.</para>
/// </summary>
public sealed class SagaReplica : ISagaStepAnswers, IDisposable
{
    public const string JournalPrefix = "saga";
    public const string SnapshotPrefix = "saga-state";

    private readonly ClusterOptions _cluster;
    private readonly SagaReplicaOptions _options;
    private readonly ISagaStepTransport _steps;
    private readonly Journal _journal;
    private readonly JournalRaftLog _log;
    private readonly FileRaftStateStore _hardState;
    private readonly SnapshotStore _snapshots;
    private readonly FileRaftSnapshotStore _snapshotFiles;
    private readonly TcpTransport _transport;
    private readonly RaftNode _node;
    // Everything deterministic (node driving, Begins, apply, leader actions, snapshots) lives in the core, which the
    // replicated saga simulation drives too; this class adds the thread, the TCP transport, the inbox and the files.
    private readonly SagaReplicaCore _core;
    private readonly RingBuffer<InboxSlot> _inbox;
    private readonly EventPoller<InboxSlot> _poller;
    // No spin before blocking (as the coordinator): an idle replica waits for peers and partitions that need the cores.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Thread _thread;
    private volatile bool _stopping;
    private Exception? _failure;
    private long _droppedAnswers;

    /// <param name="cluster">The group's membership: <see cref="ClusterMember.ReplicationPort"/> is the saga group's own port.</param>
    /// <param name="options">Journal, snapshots and timings of this replica.</param>
    /// <param name="steps">How the leader reaches the partitions.</param>
    public SagaReplica(ClusterOptions cluster, SagaReplicaOptions options, ISagaStepTransport steps)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(steps);
        cluster.Validate();
        options.Validate();
        _cluster = cluster;
        _options = options;
        _steps = steps;
        var raft = SagaReplicaCore.SizeRaftOptions(new RaftOptions
        {
            NodeId = cluster.NodeId,
            Members = [.. cluster.Members.Select(m => m.Id)],
            ElectionTimeoutMs = cluster.ElectionTimeoutMs,
            HeartbeatIntervalMs = cluster.HeartbeatIntervalMs,
            MaxMessageBytes = Math.Min(RaftOptions.DefaultMaxMessageBytes * 4, cluster.Transport.MaxMessageBytes),
            SnapshotChunkBytes = cluster.SnapshotChunkBytes,
            MaxSnapshotBytes = cluster.MaxSnapshotBytes,
            RejoinAfterDataLoss = cluster.RejoinAfterDataLoss,
            RejoinQuietMs = cluster.RejoinQuietMs,
        }, options.Saga, out var maxBeginsPerEntry, out var maxOutcomesPerEntry);
        Directory.CreateDirectory(options.DataDirectory);
        _journal = Journal.Open(new JournalOptions
        {
            Directory = options.DataDirectory, FilePrefix = JournalPrefix, Fsync = options.Fsync,
            SegmentSizeBytes = options.JournalSegmentSizeBytes, MaxRecordBytes = raft.MaxEntryPayloadBytes,
            // Recovery reads (and checks) the log after the newest snapshot; the term cache reads only term changes.
            OpenValidation = JournalOpenValidation.LastSegment,
        });
        SagaStateMachine machine;
        try
        {
            _log = new JournalRaftLog(_journal, maxCursors: cluster.Members.Count + 1);
            _hardState = new FileRaftStateStore(Path.Combine(options.DataDirectory, "raft-state"));
            _snapshots = new SnapshotStore(options.DataDirectory, SnapshotPrefix, options.SnapshotRetainCount);
            machine = Recover(_journal, _snapshots, options.Saga, out var recovery);
            Recovery = recovery;
            _snapshotFiles = new FileRaftSnapshotStore(_snapshots, cluster.Members.Count);
            var peers = new Dictionary<int, (string Host, int Port)>();
            foreach (var m in cluster.Members)
            {
                if (m.Id != cluster.NodeId) peers.Add(m.Id, (m.Host, m.ReplicationPort));
            }

            var self = cluster.Self;
            var listen = IPAddress.TryParse(self.Host, out var address) ? address : IPAddress.Any;
            _transport = new TcpTransport(self.Id, cluster.ClusterId, new IPEndPoint(listen, self.ReplicationPort), peers, cluster.Transport, _wake.Set);
            _node = new RaftNode(raft, _log, _hardState, new SystemRaftRandom(), _transport, _snapshotFiles);
        }
        catch
        {
            _journal.Dispose();
            throw;
        }

        _core = new SagaReplicaCore(options, _node, _log, applyCursor: cluster.Members.Count, new FileSagaReplicaSnapshots(_snapshots, _log), machine, steps,
            maxBeginsPerEntry, maxOutcomesPerEntry);
        _inbox = RingBuffer<InboxSlot>.CreateMultiProducer(options.InboxSize, new BlockingWaitStrategy());
        _poller = _inbox.NewPoller();
        _inbox.AddGatingSequences(_poller.Sequence);
        _thread = new Thread(Run) { IsBackground = true, Name = $"saga-replica-{cluster.NodeId}" };
    }

    public int NodeId => _cluster.NodeId;

    public RaftRole Role => _core.Role;

    public bool IsLeader => Role == RaftRole.Leader;

    /// <summary>The leader as this replica knows it; -1 during an election.</summary>
    public int LeaderId => _core.LeaderId;

    public long Term => _core.Term;

    /// <summary>True while this replica is a non-voting catch-up member after data loss (<see cref="RaftNode.Rejoining"/>).</summary>
    public bool Rejoining => _core.Rejoining;

    public long CommitIndex => _core.CommitIndex;

    /// <summary>Highest log index applied to this replica's machine.</summary>
    public long AppliedIndex => _core.AppliedIndex;

    /// <summary>Sagas not yet ended in this replica's machine (as of its last loop).</summary>
    public int OpenSagas => _core.OpenSagas;

    public long StepsResent => _core.StepsResent;

    /// <summary>Step answers dropped because the inbox was full (their steps are resent).</summary>
    public long DroppedAnswers => Interlocked.Read(ref _droppedAnswers);

    public long SnapshotsWritten => _core.SnapshotsWritten;

    /// <summary>Leader snapshots this replica installed (it was behind the leader's compacted log).</summary>
    public long SnapshotsInstalled => _core.SnapshotsInstalled;

    /// <summary>First index held in this replica's log (above 1 once compacted behind a snapshot).</summary>
    public long LogFirstIndex => _journal.FirstIndex;

    public long SnapshotFailures => _core.SnapshotFailures;

    /// <summary>How this replica's table was rebuilt at start (snapshot index, journal commands replayed).</summary>
    public SagaRecovery Recovery { get; }

    /// <summary>The exception that stopped the replica's thread, if any (it then answers nobody: a crash, to its peers).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public ClusterOptions Cluster => _cluster;

    /// <summary>The consensus endpoint actually bound.</summary>
    public IPEndPoint ReplicationEndPoint => _transport.LocalEndPoint;

    /// <summary>The machine; read it only once the replica is stopped (tests, tools).</summary>
    public SagaStateMachine Machine => _core.Machine;

    public void Start()
    {
        _steps.Attach(this);
        _transport.Start();
        _thread.Start();
    }

    /// <summary>
    /// Queues one cross-partition transfer (thread-safe). Only the leader accepts; <paramref name="completion"/> is then
    /// called exactly once (outcome, or NotLeader if this replica stops leading first).
    /// </summary>
    public SagaReplicaSubmit TrySubmit(in Transfer transfer, SagaMode mode, long correlationId, ISagaReplicaCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (_stopping || Failure is not null) return SagaReplicaSubmit.NotRunning;
        if (!IsLeader) return SagaReplicaSubmit.NotLeader;
        if (!_inbox.TryNext(out var sequence)) return SagaReplicaSubmit.Busy;
        _inbox[sequence].SetBegin(in transfer, mode, correlationId, completion);
        _inbox.Publish(sequence);
        _wake.Set();
        return SagaReplicaSubmit.Accepted;
    }

    /// <summary>
    /// Queues a batch of cross-partition transfers in one inbox claim, all or none (thread-safe): transfer i gets
    /// correlation <paramref name="firstCorrelationId"/> + i and is exactly as if submitted alone. At most
    /// <see cref="MaxSubmitBatch"/> transfers.
    /// </summary>
    public SagaReplicaSubmit TrySubmit(ReadOnlySpan<Transfer> transfers, SagaMode mode, long firstCorrelationId, ISagaReplicaCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (transfers.Length > MaxSubmitBatch)
            throw new ArgumentOutOfRangeException(nameof(transfers), transfers.Length, $"at most {MaxSubmitBatch} transfers per submission");
        if (_stopping || Failure is not null) return SagaReplicaSubmit.NotRunning;
        if (!IsLeader) return SagaReplicaSubmit.NotLeader;
        if (transfers.IsEmpty) return SagaReplicaSubmit.Accepted;
        if (!_inbox.TryNext(transfers.Length, out var hi)) return SagaReplicaSubmit.Busy;
        var lo = hi - transfers.Length + 1;
        for (var i = 0; i < transfers.Length; i++)
        {
            _inbox[lo + i].SetBegin(in transfers[i], mode, firstCorrelationId + i, completion);
        }

        _inbox.Publish(lo, hi);
        _wake.Set();
        return SagaReplicaSubmit.Accepted;
    }

    /// <summary>Largest batch the batch <c>TrySubmit</c> takes: a quarter of the inbox, leaving room for the partitions' answers.</summary>
    public int MaxSubmitBatch => _inbox.BufferSize / 4;

    /// <summary>A partition's answer to a step (any thread; never blocks: a full inbox drops it and the step is resent).</summary>
    public void OnStepResult(UInt128 stepId, ResultCode code)
    {
        if (!SagaCommands.TryParseStepId(stepId, out var sagaId, out var step) || !_inbox.TryNext(out var sequence))
        {
            Interlocked.Increment(ref _droppedAnswers);
            return;
        }

        ref var slot = ref _inbox[sequence];
        slot.Kind = InboxKind.Outcome;
        slot.SagaId = sagaId;
        slot.Step = step;
        slot.Code = code;
        slot.Completion = null;
        _inbox.Publish(sequence);
        _wake.Set();
    }

    private static SagaStateMachine Recover(Journal journal, SnapshotStore snapshots, SagaOptions options, out SagaRecovery report)
    {
        // Only committed entries are ever applied, and the log's commit point is learnt from the group after start:
        // the machine starts from the newest valid snapshot (always of applied, hence committed, entries) and the
        // thread applies the rest as the commit index reaches it.
        var machine = SagaSnapshotLoader.LoadNewest(journal, snapshots, options, out var loaded);
        report = new SagaRecovery(loaded.Snapshot?.Header.Index ?? 0, 0, loaded.Rejected.Count);
        return machine;
    }

    private void Run()
    {
        var inbound = new InboundToNode(_node);
        try
        {
            while (!_stopping)
            {
                _wake.Reset();
                var nowMs = Environment.TickCount64;
                inbound.NowMs = nowMs;
                var work = _transport.Drain(ref inbound);
                var leader = _core.NodeLeads;
                work += DrainInbox(leader);
                work += _core.Advance(nowMs, leader);
                if (work == 0 && !_stopping) _wake.Wait(_cluster.IdleWaitMs);
            }
        }
#pragma warning disable CA1031 // the replica's failure must be visible (Failure) and stop it, whatever it is
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _failure, ex);
        }
    }

    private int DrainInbox(bool leader)
    {
        if (_core.DrainResubmits(leader) > 0) return 1;
        var handler = new DrainHandler(this, leader);
        return _poller.Poll(ref handler) == PollState.Processing ? 1 : 0;
    }

    private bool Accept(ref InboxSlot slot, bool leader)
    {
        if (slot.Kind == InboxKind.Begin)
        {
            var completion = (ISagaReplicaCompletion)slot.Completion!; // only TrySubmit queues Begins
            slot.Completion = null;
            return _core.AcceptBegin(completion, slot.CorrelationId, in slot.Transfer, slot.Mode, leader);
        }

        return slot.Kind == InboxKind.Outcome ? _core.AcceptOutcome(slot.SagaId, slot.Step, slot.Code, leader) : _core.HasRoom;
    }

    public void Stop()
    {
        if (_stopping) return;
        _stopping = true;
        _wake.Set();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(10));
        if (!_thread.IsAlive)
        {
            // Nobody may be left waiting: proposed Begins, and Begins still queued in the inbox, hear NotLeader.
            _core.RefuseWaiters();
            DrainInbox(leader: false);
        }

        _transport.Dispose();
        _log.Dispose();
        _snapshotFiles.Dispose();
        _journal.Dispose();
    }

    public void Dispose()
    {
        Stop();
        _wake.Dispose();
    }

    private struct InboundToNode(RaftNode node) : IInboundHandler
    {
        public long NowMs;

        public readonly void OnMessage(int fromNode, ReadOnlySpan<byte> message) => node.Receive(fromNode, message, NowMs);
    }

    private readonly struct DrainHandler(SagaReplica owner, bool leader) : IPollHandler<InboxSlot>
    {
        public bool OnEvent(ref InboxSlot data, long sequence, bool endOfBatch) => owner.Accept(ref data, leader);
    }
}
