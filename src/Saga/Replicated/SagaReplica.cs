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
    private readonly int _applyCursor;
    private readonly RingBuffer<InboxSlot> _inbox;
    private readonly EventPoller<InboxSlot> _poller;
    // No spin before blocking (as the coordinator): an idle replica waits for peers and partitions that need the cores.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Thread _thread;
    private readonly Dictionary<long, Waiter> _waiters;
    // Repeats of a transfer whose saga is still undecided (SagaInProgress), by saga id: proposed again once it is
    // decided, so the machine gives them the repeat's answer (the original outcome, or ExistsWithDifferent…).
    private readonly Dictionary<ulong, List<Waiter>> _parked = [];
    private readonly List<Waiter> _resubmit = [];
    private long _correlationTerm = -1;
    private readonly byte[] _beginBuffer;
    private readonly byte[] _outcomeBuffer;
    private readonly int _maxBeginsPerEntry;
    private readonly int _maxOutcomesPerEntry;
    private readonly Transfer[][] _outbound;
    private readonly int[] _outboundCount;
    private readonly bool[] _clearingSent;
    private SagaStateMachine _machine;
    private int _beginCount;
    private int _outcomeCount;
    private Completion[] _completions = new Completion[256];
    private int _completionCount;
    private long _nextCorrelation;
    private long _lastProposedNs;
    private long _nextTickNs;
    private long _nextRetryNs;
    private ulong _retryCursor;
    private bool _wasLeader;
    private bool _resumed;
    private long _installsSeen;
    private long _lastSnapshotIndex;
    private volatile bool _stopping;
    private Exception? _failure;

    // Mirrors for other threads.
    private volatile int _role;
    private volatile int _leaderId = -1;
    private long _term;
    private long _commitIndex;
    private long _appliedIndex;
    private int _openSagas;
    private long _stepsResent;
    private long _droppedAnswers;
    private long _snapshotsWritten;
    private long _snapshotFailures;
    private long _snapshotsInstalled;

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
        var raft = new RaftOptions
        {
            NodeId = cluster.NodeId,
            Members = [.. cluster.Members.Select(m => m.Id)],
            ElectionTimeoutMs = cluster.ElectionTimeoutMs,
            HeartbeatIntervalMs = cluster.HeartbeatIntervalMs,
            MaxMessageBytes = Math.Min(RaftOptions.DefaultMaxMessageBytes * 4, cluster.Transport.MaxMessageBytes),
            SnapshotChunkBytes = cluster.SnapshotChunkBytes,
            MaxSnapshotBytes = cluster.MaxSnapshotBytes,
        };
        _maxBeginsPerEntry = Math.Min(options.Saga.MaxBatchSize, raft.MaxEntryPayloadBytes / SagaCommands.BeginSizeBytes);
        _maxOutcomesPerEntry = Math.Min(options.Saga.MaxBatchSize, raft.MaxEntryPayloadBytes / SagaCommands.OutcomeSizeBytes);
        // The largest entry any replica proposes (same options on every member): the log's record bound, so small
        // segments stay possible; a leader's entry above it is refused by a follower's log like any malformed one.
        raft = new RaftOptions
        {
            NodeId = raft.NodeId, Members = raft.Members, ElectionTimeoutMs = raft.ElectionTimeoutMs, HeartbeatIntervalMs = raft.HeartbeatIntervalMs,
            MaxMessageBytes = raft.MaxMessageBytes, SnapshotChunkBytes = raft.SnapshotChunkBytes, MaxSnapshotBytes = raft.MaxSnapshotBytes,
            MaxEntryPayloadBytes = Math.Max(_maxBeginsPerEntry * SagaCommands.BeginSizeBytes, _maxOutcomesPerEntry * SagaCommands.OutcomeSizeBytes),
        };
        Directory.CreateDirectory(options.DataDirectory);
        _journal = Journal.Open(new JournalOptions
        {
            Directory = options.DataDirectory, FilePrefix = JournalPrefix, Fsync = options.Fsync,
            SegmentSizeBytes = options.JournalSegmentSizeBytes, MaxRecordBytes = raft.MaxEntryPayloadBytes,
        });
        try
        {
            _applyCursor = cluster.Members.Count;
            _log = new JournalRaftLog(_journal, maxCursors: cluster.Members.Count + 1);
            _hardState = new FileRaftStateStore(Path.Combine(options.DataDirectory, "raft-state"));
            _snapshots = new SnapshotStore(options.DataDirectory, SnapshotPrefix, options.SnapshotRetainCount);
            _machine = Recover(_journal, _snapshots, options.Saga, out var recovery);
            Recovery = recovery;
            _lastSnapshotIndex = _machine.LastIndex;
            _appliedIndex = _machine.LastIndex;
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

        _installsSeen = _node.SnapshotInstalls;
        _inbox = RingBuffer<InboxSlot>.CreateMultiProducer(options.InboxSize, new BlockingWaitStrategy());
        _poller = _inbox.NewPoller();
        _inbox.AddGatingSequences(_poller.Sequence);
        _waiters = new Dictionary<long, Waiter>(options.Saga.MaxActiveSagas);
        _beginBuffer = new byte[_maxBeginsPerEntry * SagaCommands.BeginSizeBytes];
        _outcomeBuffer = new byte[_maxOutcomesPerEntry * SagaCommands.OutcomeSizeBytes];
        var partitions = options.Saga.Map.PartitionCount;
        _outbound = new Transfer[partitions][];
        _outboundCount = new int[partitions];
        _clearingSent = new bool[partitions];
        for (var p = 0; p < partitions; p++) _outbound[p] = new Transfer[Math.Max(64, steps.MaxStepsPerSend)];
        _lastProposedNs = _log.LastTimestampNs;
        _thread = new Thread(Run) { IsBackground = true, Name = $"saga-replica-{cluster.NodeId}" };
    }

    public int NodeId => _cluster.NodeId;

    public RaftRole Role => (RaftRole)_role;

    public bool IsLeader => Role == RaftRole.Leader;

    /// <summary>The leader as this replica knows it; -1 during an election.</summary>
    public int LeaderId => _leaderId;

    public long Term => Interlocked.Read(ref _term);

    public long CommitIndex => Interlocked.Read(ref _commitIndex);

    /// <summary>Highest log index applied to this replica's machine.</summary>
    public long AppliedIndex => Interlocked.Read(ref _appliedIndex);

    /// <summary>Sagas not yet ended in this replica's machine (as of its last loop).</summary>
    public int OpenSagas => Volatile.Read(ref _openSagas);

    public long StepsResent => Interlocked.Read(ref _stepsResent);

    /// <summary>Step answers dropped because the inbox was full (their steps are resent).</summary>
    public long DroppedAnswers => Interlocked.Read(ref _droppedAnswers);

    public long SnapshotsWritten => Interlocked.Read(ref _snapshotsWritten);

    /// <summary>Leader snapshots this replica installed (it was behind the leader's compacted log).</summary>
    public long SnapshotsInstalled => Interlocked.Read(ref _snapshotsInstalled);

    /// <summary>First index held in this replica's log (above 1 once compacted behind a snapshot).</summary>
    public long LogFirstIndex => _journal.FirstIndex;

    public long SnapshotFailures => Interlocked.Read(ref _snapshotFailures);

    /// <summary>How this replica's table was rebuilt at start (snapshot index, journal commands replayed).</summary>
    public SagaRecovery Recovery { get; }

    /// <summary>The exception that stopped the replica's thread, if any (it then answers nobody: a crash, to its peers).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public ClusterOptions Cluster => _cluster;

    /// <summary>The consensus endpoint actually bound.</summary>
    public IPEndPoint ReplicationEndPoint => _transport.LocalEndPoint;

    /// <summary>The machine; read it only once the replica is stopped (tests, tools).</summary>
    public SagaStateMachine Machine => _machine;

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
        ref var slot = ref _inbox[sequence];
        slot.Kind = InboxKind.Begin;
        slot.Transfer = transfer;
        slot.Mode = mode;
        slot.CorrelationId = correlationId;
        slot.Completion = completion;
        _inbox.Publish(sequence);
        _wake.Set();
        return SagaReplicaSubmit.Accepted;
    }

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
                var leader = _node.Role == RaftRole.Leader;
                work += DrainInbox(leader);
                if (leader) work += Propose();
                _node.Tick(nowMs);
                _node.Flush(nowMs);
                ObserveRole();
                work += TakeInstalledSnapshot();
                work += ApplyCommitted();
                if (_node.Role == RaftRole.Leader) work += ActAsLeader();
                MaybeSnapshot();
                Volatile.Write(ref _openSagas, _machine.ActiveCount);
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
        var resubmitted = 0;
        while (leader && _resubmit.Count > 0 && _beginCount < _maxBeginsPerEntry)
        {
            AddBegin(_resubmit[^1]);
            _resubmit.RemoveAt(_resubmit.Count - 1);
            resubmitted++;
        }

        if (resubmitted > 0) return 1;
        var handler = new DrainHandler(this, leader);
        return _poller.Poll(ref handler) == PollState.Processing ? 1 : 0;
    }

    private bool Accept(ref InboxSlot slot, bool leader)
    {
        if (slot.Kind == InboxKind.Begin)
        {
            var completion = (ISagaReplicaCompletion)slot.Completion!; // only TrySubmit queues Begins
            slot.Completion = null;
            if (!leader)
            {
                completion.OnNotLeader(slot.CorrelationId, _node.LeaderId);
                return true;
            }

            AddBegin(new Waiter(completion, slot.CorrelationId, slot.Transfer, slot.Mode));
        }
        else if (leader && slot.Kind == InboxKind.Outcome)
        {
            SagaCommands.WriteOutcome(_outcomeBuffer.AsSpan(_outcomeCount * SagaCommands.OutcomeSizeBytes), slot.SagaId, slot.Step, slot.Code);
            _outcomeCount++;
        }

        // Stop when either buffer is full; the rest waits in the inbox for the next loop.
        return _beginCount < _maxBeginsPerEntry && _outcomeCount < _maxOutcomesPerEntry;
    }

    private void AddBegin(Waiter waiter)
    {
        if (_correlationTerm != _node.Term)
        {
            // Term-scoped correlations: never equal to one another leader put in the log.
            _correlationTerm = _node.Term;
            _nextCorrelation = (_node.Term << 32) + 1;
        }

        var correlation = _nextCorrelation++;
        _waiters[correlation] = waiter;
        var transfer = waiter.Transfer;
        SagaCommands.WriteBegin(_beginBuffer.AsSpan(_beginCount * SagaCommands.BeginSizeBytes), in transfer, correlation, waiter.Mode);
        _beginCount++;
    }

    private long NextStampNs()
    {
        var now = _options.Clock.UtcNowNs();
        var floor = Math.Max(_lastProposedNs, _log.LastTimestampNs);
        _lastProposedNs = Math.Max(now, floor);
        return _lastProposedNs;
    }

    private int Propose()
    {
        var proposed = 0;
        if (_beginCount > 0)
        {
            ProposeOrRefuse(SagaCommandKind.Begin, _beginBuffer.AsSpan(0, _beginCount * SagaCommands.BeginSizeBytes));
            _beginCount = 0;
            proposed++;
        }

        if (_outcomeCount > 0)
        {
            ProposeOrRefuse(SagaCommandKind.StepOutcome, _outcomeBuffer.AsSpan(0, _outcomeCount * SagaCommands.OutcomeSizeBytes));
            _outcomeCount = 0;
            proposed++;
        }

        var now = _options.Clock.UtcNowNs();
        if (now >= _nextTickNs && _machine.ActiveCount > 0)
        {
            _nextTickNs = now + _options.TickIntervalNs;
            ProposeOrRefuse(SagaCommandKind.Tick, []);
            proposed++;
        }

        return proposed;
    }

    private void ProposeOrRefuse(SagaCommandKind kind, ReadOnlySpan<byte> payload)
    {
        // -1: no longer the leader (the waiters of these Begins are told so when the role change is observed).
        _node.Propose((ushort)kind, NextStampNs(), payload);
    }

    private void ObserveRole()
    {
        var role = _node.Role;
        _role = (int)role;
        _leaderId = _node.LeaderId;
        Interlocked.Exchange(ref _term, _node.Term);
        Interlocked.Exchange(ref _commitIndex, _node.CommitIndex);
        var leader = role == RaftRole.Leader;
        if (leader && !_wasLeader)
        {
            _resumed = false;
            Array.Clear(_clearingSent);
        }
        else if (!leader && _wasLeader)
        {
            RefuseWaiters();
            Array.Clear(_outboundCount);
            _beginCount = _outcomeCount = 0;
        }

        _wasLeader = leader;
    }

    private void RefuseWaiters()
    {
        var leaderId = _node.Role == RaftRole.Leader ? -1 : _node.LeaderId;
        // Outcomes already decided by committed entries are outcomes: deliver them first.
        FireCompletions();
        foreach (var (_, waiter) in _waiters) waiter.Completion.OnNotLeader(waiter.ClientCorrelationId, leaderId);
        _waiters.Clear();
        foreach (var (_, parked) in _parked)
        {
            foreach (var waiter in parked) waiter.Completion.OnNotLeader(waiter.ClientCorrelationId, leaderId);
        }

        _parked.Clear();
        foreach (var waiter in _resubmit) waiter.Completion.OnNotLeader(waiter.ClientCorrelationId, leaderId);
        _resubmit.Clear();
    }

    /// <summary>A leader's snapshot replaced this follower's log start: the table is reloaded from it before anything later applies.</summary>
    private int TakeInstalledSnapshot()
    {
        if (_node.SnapshotInstalls == _installsSeen) return 0;
        _installsSeen = _node.SnapshotInstalls;
        var meta = _node.LastInstalledSnapshot;
        if (meta.Index <= _machine.LastIndex) return 0;
        var loaded = _snapshots.LoadNewestValid((stream, _) => SagaStateMachine.Restore(_options.Saga, stream),
            (machine, header) => machine.LastIndex == header.Index && machine.ComputeDigest() == header.Digest ? null : "digest or index mismatch");
        if (loaded.State is null || loaded.State.LastIndex < meta.Index)
            throw new InvalidDataException($"the snapshot installed at index {meta.Index} does not load as a saga table");
        _machine = loaded.State;
        _lastSnapshotIndex = _machine.LastIndex;
        Interlocked.Increment(ref _snapshotsInstalled);
        Interlocked.Exchange(ref _appliedIndex, _machine.LastIndex);
        return 1;
    }

    private int ApplyCommitted()
    {
        var applied = 0;
        var commit = _node.CommitIndex;
        var acting = _node.Role == RaftRole.Leader;
        while (_machine.LastIndex < commit)
        {
            var index = _machine.LastIndex + 1;
            if (!_log.TryRead(_applyCursor, index, out var entry))
                throw new InvalidOperationException($"committed saga index {index} is not readable from the log (first {_log.FirstIndex}, last {_log.LastIndex})");
            var stamp = new CommandStamp(index, entry.Term, Math.Max(entry.TimestampNs, _machine.LastTimestamp));
            if (acting)
            {
                var sink = new LeaderSink(this);
                _machine.Execute(in stamp, (SagaCommandKind)entry.Type, entry.Payload, ref sink); // the new-term entry is an unknown kind: index only
            }
            else
            {
                var discard = new DiscardSink();
                _machine.Execute(in stamp, (SagaCommandKind)entry.Type, entry.Payload, ref discard);
            }

            applied++;
        }

        if (applied > 0) Interlocked.Exchange(ref _appliedIndex, _machine.LastIndex);
        return applied;
    }

    private int ActAsLeader()
    {
        var work = 0;
        // The table is complete once this term's first entry is applied: then resume every open saga, once.
        if (!_resumed && _node.CommitIndex >= 1 && _node.TermAt(_node.CommitIndex) == _node.Term && _machine.LastIndex == _node.CommitIndex)
        {
            _resumed = true;
            var sink = new LeaderSink(this);
            _machine.EmitOutstanding(long.MaxValue, ref sink);
            _nextRetryNs = _options.Clock.UtcNowNs() + _options.RetryIntervalNs;
            work++;
        }

        if (!_resumed) return work;
        for (var p = 0; p < _clearingSent.Length; p++)
        {
            // Before any step of this leadership to p (one ordered path per partition): steps credit/debit these accounts.
            if (!_clearingSent[p]) _clearingSent[p] = _steps.TryCreateClearingAccounts(p, _machine.Clearing.AccountsOf(p));
        }

        var now = _options.Clock.UtcNowNs();
        if (now >= _nextRetryNs)
        {
            _nextRetryNs = now + _options.RetryIntervalNs;
            var sink = new LeaderSink(this);
            var resent = _machine.EmitOutstanding(now - _options.RetryIntervalNs, ref sink, _options.MaxRetriedSagasPerRound, ref _retryCursor);
            Interlocked.Add(ref _stepsResent, resent);
        }

        work += SendOutbound();
        work += FireCompletions();
        return work;
    }

    private int SendOutbound()
    {
        var sent = 0;
        for (var p = 0; p < _outbound.Length; p++)
        {
            if (!_clearingSent[p]) continue;
            var count = _outboundCount[p];
            var at = 0;
            while (at < count)
            {
                var n = Math.Min(count - at, _steps.MaxStepsPerSend);
                if (!_steps.TrySend(p, _outbound[p].AsSpan(at, n))) break;
                at += n;
                sent++;
            }

            if (at > 0)
            {
                Array.Copy(_outbound[p], at, _outbound[p], 0, count - at);
                _outboundCount[p] = count - at;
            }
        }

        return sent;
    }

    private int FireCompletions()
    {
        if (_completionCount == 0) return 0;
        for (var i = 0; i < _completionCount; i++)
        {
            ref var c = ref _completions[i];
            c.Waiter.Completion.OnSagaCompleted(c.Waiter.ClientCorrelationId, c.Code, c.Timestamp);
            c = default;
        }

        var fired = _completionCount;
        _completionCount = 0;
        return fired;
    }

    private void OnStepRequest(int partition, in Transfer step)
    {
        ref var buffer = ref _outbound[partition];
        ref var count = ref _outboundCount[partition];
        if (count == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // after a takeover with many open sagas
        buffer[count++] = step;
    }

    private void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
    {
        // A decision (any code but SagaInProgress) for a saga that repeats were waiting on: propose them again.
        if (sagaId != 0 && code != ResultCode.SagaInProgress && _parked.Remove(sagaId, out var parked)) _resubmit.AddRange(parked);
        if (!_waiters.Remove(correlationId, out var waiter)) return; // another leader's Begin, or a replayed one
        if (code == ResultCode.SagaInProgress && sagaId != 0)
        {
            // A repeat while the first submission's saga is undecided (typically a client resubmitting after a leader
            // change): no answer yet — wait for the decision instead of making the client poll.
            if (!_parked.TryGetValue(sagaId, out var list)) _parked[sagaId] = list = [];
            list.Add(waiter);
            return;
        }

        if (_completionCount == _completions.Length) Array.Resize(ref _completions, _completions.Length * 2);
        _completions[_completionCount++] = new Completion(waiter, code, timestamp);
    }

    /// <summary>Every N applied commands, on every replica: the table at the applied index, with the log's term there.</summary>
    private void MaybeSnapshot()
    {
        var every = _options.SnapshotEveryCommands;
        var index = _machine.LastIndex;
        if (every == 0 || index - _lastSnapshotIndex < every) return;
        _lastSnapshotIndex = index;
        try
        {
            var term = _node.TermAt(index);
            _snapshots.Write(index, term, _machine.LastTimestamp, _machine.ComputeDigest(), _machine.WriteTo);
            Interlocked.Increment(ref _snapshotsWritten);
            if (_options.JournalRetention == JournalRetention.BeforeOldestSnapshot)
            {
                var files = _snapshots.ListFiles(); // newest first
                var below = Math.Min(files[^1].Index + 1, index + 1 - _options.RetainMarginEntries);
                if (below > _log.FirstIndex) _log.CompactBefore(below);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _snapshotFailures);
        }
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
            RefuseWaiters();
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

    private readonly record struct Waiter(ISagaReplicaCompletion Completion, long ClientCorrelationId, Transfer Transfer, SagaMode Mode);

    private readonly record struct Completion(Waiter Waiter, ResultCode Code, long Timestamp);

    private struct InboundToNode(RaftNode node) : IInboundHandler
    {
        public long NowMs;

        public readonly void OnMessage(int fromNode, ReadOnlySpan<byte> message) => node.Receive(fromNode, message, NowMs);
    }

    private readonly struct DrainHandler(SagaReplica owner, bool leader) : IPollHandler<InboxSlot>
    {
        public bool OnEvent(ref InboxSlot data, long sequence, bool endOfBatch) => owner.Accept(ref data, leader);
    }

    private readonly struct LeaderSink(SagaReplica owner) : ISagaSink
    {
        public void OnStepRequest(int partition, in Transfer step) => owner.OnStepRequest(partition, in step);

        public void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) => owner.OnCompleted(correlationId, sagaId, code, timestamp);
    }

    private readonly struct DiscardSink : ISagaSink
    {
        public void OnStepRequest(int partition, in Transfer step)
        {
        }

        public void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
        {
        }
    }
}
