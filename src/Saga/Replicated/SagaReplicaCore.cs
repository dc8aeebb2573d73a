using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Replication;
using Waiter = Wallet.Saga.SagaWaiters<Wallet.Saga.Replicated.ISagaReplicaCompletion>.Waiter;

namespace Wallet.Saga.Replicated;

/// <summary>
/// The deterministic core of one saga replica (docs/SAGA.md, "Replicated sequencer"): the <see cref="RaftNode"/>, the
/// <see cref="SagaStateMachine"/> it feeds, the submitters waiting on Begins and what the leader sends to the partitions.
/// It owns no thread, socket, clock read of its own (time comes as arguments and from <see cref="SagaReplicaOptions.Clock"/>)
/// nor file: <see cref="SagaReplica"/> runs it on its thread over TCP and the journal, and the replicated saga simulation
/// (tests/Saga.Tests/ReplicatedSagaSim.cs) runs the very same code over a simulated network, disk and clock.
/// One driver loop is: peers' messages into the node → <see cref="DrainResubmits"/> and, if none, the inbox
/// (<see cref="AcceptBegin"/>, <see cref="AcceptOutcome"/>) → <see cref="Advance"/>.
/// </summary>
internal sealed class SagaReplicaCore
{
    private readonly SagaReplicaOptions _options;
    private readonly ISagaStepTransport _steps;
    private readonly RaftNode _node;
    private readonly IRaftLog _log;
    private readonly int _applyCursor;
    private readonly ISagaReplicaSnapshots _snapshots;
    private readonly SagaWaiters<ISagaReplicaCompletion> _waiters;
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
    private long _nextCorrelation;
    private long _lastProposedNs;
    private long _nextTickNs;
    private long _nextRetryNs;
    private ulong _retryCursor;
    private bool _wasLeader;
    private bool _resumed;
    private long _installsSeen;
    private long _lastSnapshotIndex;

    // Mirrors for other threads.
    private volatile int _role;
    private volatile int _leaderId = -1;
    private volatile bool _rejoining;
    private long _term;
    private long _commitIndex;
    private long _appliedIndex;
    private int _openSagas;
    private long _stepsResent;
    private long _snapshotsWritten;
    private long _snapshotFailures;
    private long _snapshotsInstalled;

    /// <param name="options">Timings, snapshots and the clock of this replica.</param>
    /// <param name="node">The replica's consensus node (over <paramref name="log"/>).</param>
    /// <param name="log">The group's log, read on <paramref name="applyCursor"/> to apply committed entries.</param>
    /// <param name="applyCursor">A log cursor the node does not use.</param>
    /// <param name="snapshots">Snapshot files and log retention.</param>
    /// <param name="machine">The table as recovered at start (snapshot, or empty).</param>
    /// <param name="steps">How the leader reaches the partitions.</param>
    /// <param name="maxBeginsPerEntry">Begins per proposed entry (<see cref="SizeRaftOptions"/>).</param>
    /// <param name="maxOutcomesPerEntry">Step outcomes per proposed entry (<see cref="SizeRaftOptions"/>).</param>
    public SagaReplicaCore(SagaReplicaOptions options, RaftNode node, IRaftLog log, int applyCursor, ISagaReplicaSnapshots snapshots,
        SagaStateMachine machine, ISagaStepTransport steps, int maxBeginsPerEntry, int maxOutcomesPerEntry)
    {
        _options = options;
        _node = node;
        _rejoining = node.Rejoining;
        _log = log;
        _applyCursor = applyCursor;
        _snapshots = snapshots;
        _machine = machine;
        _steps = steps;
        _maxBeginsPerEntry = maxBeginsPerEntry;
        _maxOutcomesPerEntry = maxOutcomesPerEntry;
        _lastSnapshotIndex = _machine.LastIndex;
        _appliedIndex = _machine.LastIndex;
        _installsSeen = _node.SnapshotInstalls;
        _waiters = new SagaWaiters<ISagaReplicaCompletion>(options.Saga.MaxActiveSagas);
        _beginBuffer = new byte[_maxBeginsPerEntry * SagaCommands.BeginSizeBytes];
        _outcomeBuffer = new byte[_maxOutcomesPerEntry * SagaCommands.OutcomeSizeBytes];
        var partitions = options.Saga.Map.PartitionCount;
        _outbound = new Transfer[partitions][];
        _outboundCount = new int[partitions];
        _clearingSent = new bool[partitions];
        for (var p = 0; p < partitions; p++) _outbound[p] = new Transfer[Math.Max(64, steps.MaxStepsPerSend)];
        _lastProposedNs = _log.LastTimestampNs;
    }

    /// <summary>
    /// The group's Raft options sized for saga entries: how many Begins and outcomes one entry carries, and the largest
    /// entry any replica proposes (same options on every member) as the log's record bound, so small segments stay
    /// possible; a leader's entry above it is refused by a follower's log like any malformed one.
    /// </summary>
    public static RaftOptions SizeRaftOptions(RaftOptions raft, SagaOptions saga, out int maxBeginsPerEntry, out int maxOutcomesPerEntry)
    {
        ArgumentNullException.ThrowIfNull(raft);
        ArgumentNullException.ThrowIfNull(saga);
        maxBeginsPerEntry = Math.Min(saga.MaxBatchSize, raft.MaxEntryPayloadBytes / SagaCommands.BeginSizeBytes);
        maxOutcomesPerEntry = Math.Min(saga.MaxBatchSize, raft.MaxEntryPayloadBytes / SagaCommands.OutcomeSizeBytes);
        return new RaftOptions
        {
            NodeId = raft.NodeId, Members = raft.Members, ElectionTimeoutMs = raft.ElectionTimeoutMs, HeartbeatIntervalMs = raft.HeartbeatIntervalMs,
            ResendTimeoutMs = raft.ResendTimeoutMs, MaxEntriesPerMessage = raft.MaxEntriesPerMessage, MaxInFlightBytesPerFollower = raft.MaxInFlightBytesPerFollower, PreVote = raft.PreVote, CheckQuorum = raft.CheckQuorum,
            MaxMessageBytes = raft.MaxMessageBytes, SnapshotChunkBytes = raft.SnapshotChunkBytes, MaxSnapshotBytes = raft.MaxSnapshotBytes,
            SnapshotReadBytesPerFlush = raft.SnapshotReadBytesPerFlush,
            RejoinAfterDataLoss = raft.RejoinAfterDataLoss, RejoinQuietMs = raft.RejoinQuietMs,
            MaxEntryPayloadBytes = Math.Max(maxBeginsPerEntry * SagaCommands.BeginSizeBytes, maxOutcomesPerEntry * SagaCommands.OutcomeSizeBytes),
        };
    }

    public RaftNode Node => _node;

    public RaftRole Role => (RaftRole)_role;

    public int LeaderId => _leaderId;

    public long Term => Interlocked.Read(ref _term);

    /// <summary>True while this replica is a non-voting catch-up member after data loss (<see cref="RaftNode.Rejoining"/>).</summary>
    public bool Rejoining => _rejoining;

    public long CommitIndex => Interlocked.Read(ref _commitIndex);

    public long AppliedIndex => Interlocked.Read(ref _appliedIndex);

    public int OpenSagas => Volatile.Read(ref _openSagas);

    public long StepsResent => Interlocked.Read(ref _stepsResent);

    public long SnapshotsWritten => Interlocked.Read(ref _snapshotsWritten);

    public long SnapshotsInstalled => Interlocked.Read(ref _snapshotsInstalled);

    public long SnapshotFailures => Interlocked.Read(ref _snapshotFailures);

    /// <summary>The machine; read it only from the driver's thread or once the driver is stopped.</summary>
    public SagaStateMachine Machine => _machine;

    /// <summary>Whether the node leads right now (the driver's view at the top of its loop).</summary>
    public bool NodeLeads => _node.Role == RaftRole.Leader;

    /// <summary>Queues repeats whose saga got decided, ahead of the inbox; the driver skips the inbox this loop when any were.</summary>
    public int DrainResubmits(bool leader)
    {
        var resubmitted = 0;
        while (leader && _beginCount < _maxBeginsPerEntry && _waiters.TryTakeResubmit(out var repeat))
        {
            AddBegin(repeat);
            resubmitted++;
        }

        return resubmitted;
    }

    /// <summary>A submitted transfer from the inbox: queued for the next Begin entry (leader), else refused NotLeader. False: buffers full, stop draining.</summary>
    public bool AcceptBegin(ISagaReplicaCompletion completion, long clientCorrelationId, in Transfer transfer, SagaMode mode, bool leader)
    {
        if (!leader)
        {
            completion.OnNotLeader(clientCorrelationId, _node.LeaderId);
            return true;
        }

        AddBegin(new Waiter(completion, clientCorrelationId, transfer, mode));
        return HasRoom;
    }

    /// <summary>A partition's answer from the inbox: queued for the next StepOutcome entry (leader; a follower drops it). False: buffers full.</summary>
    public bool AcceptOutcome(ulong sagaId, SagaStep step, ResultCode code, bool leader)
    {
        if (leader)
        {
            SagaCommands.WriteOutcome(_outcomeBuffer.AsSpan(_outcomeCount * SagaCommands.OutcomeSizeBytes), sagaId, step, code);
            _outcomeCount++;
        }

        return HasRoom;
    }

    /// <summary>Whether both entry buffers have room: the driver stops draining its inbox when not (the rest waits for the next loop).</summary>
    public bool HasRoom => _beginCount < _maxBeginsPerEntry && _outcomeCount < _maxOutcomesPerEntry;

    /// <summary>
    /// The rest of one loop, at <paramref name="nowMs"/> (the node's timer clock): (leader) propose what was queued and a
    /// Tick while sagas are open → timers → flush (sync, stream, commit) → apply what is committed → (leader) send the
    /// steps the machine asked for, answer the submitters whose saga ended, resend overdue steps → snapshot every N
    /// commands. Returns the work done (0: idle).
    /// </summary>
    public int Advance(long nowMs, bool leader)
    {
        var work = 0;
        if (leader) work += Propose();
        _node.Tick(nowMs);
        _node.Flush(nowMs);
        ObserveRole();
        work += TakeInstalledSnapshot();
        work += ApplyCommitted();
        if (_node.Role == RaftRole.Leader) work += ActAsLeader();
        MaybeSnapshot();
        Volatile.Write(ref _openSagas, _machine.ActiveCount);
        return work;
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
        _waiters.Add(correlation, waiter);
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
        _rejoining = _node.Rejoining;
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

    /// <summary>Tells every waiting submitter NotLeader (after delivering outcomes already decided): on losing the lead, and at stop.</summary>
    public void RefuseWaiters()
    {
        var leaderId = _node.Role == RaftRole.Leader ? -1 : _node.LeaderId;
        // Outcomes already decided by committed entries are outcomes: deliver them first.
        FireCompletions();
        var refusal = new NotLeaderRefusal(leaderId);
        _waiters.RefuseAll(ref refusal);
    }

    /// <summary>Tells a client its transfer's outcome is not known here: this replica no longer leads (leader as known, or -1).</summary>
    private readonly struct NotLeaderRefusal(int leaderId) : SagaWaiters<ISagaReplicaCompletion>.IWaiterRefusal
    {
        public void Refuse(in Waiter waiter) => waiter.Completion.OnNotLeader(waiter.ClientCorrelationId, leaderId);
    }

    /// <summary>A leader's snapshot replaced this follower's log start: the table is reloaded from it before anything later applies.</summary>
    private int TakeInstalledSnapshot()
    {
        if (_node.SnapshotInstalls == _installsSeen) return 0;
        _installsSeen = _node.SnapshotInstalls;
        var meta = _node.LastInstalledSnapshot;
        if (meta.Index <= _machine.LastIndex) return 0;
        var loaded = _snapshots.LoadNewestValid(_options.Saga);
        if (loaded is null || loaded.LastIndex < meta.Index)
            throw new InvalidDataException($"the snapshot installed at index {meta.Index} does not load as a saga table");
        _machine = loaded;
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
                var discard = new DiscardSagaSink();
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

    /// <summary>The round's decided answers, in one burst; returns how many.</summary>
    private int FireCompletions() => _waiters.Fire();

    private void OnStepRequest(int partition, in Transfer step)
    {
        ref var buffer = ref _outbound[partition];
        ref var count = ref _outboundCount[partition];
        if (count == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // after a takeover with many open sagas
        buffer[count++] = step;
    }

    private void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) =>
        _waiters.OnDecided(correlationId, sagaId, code, timestamp); // another leader's Begin, or a replayed one: ignored

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
                var below = Math.Min(_snapshots.OldestIndex + 1, index + 1 - _options.RetainMarginEntries);
                if (below > _log.FirstIndex) _snapshots.CompactLogBefore(below);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _snapshotFailures);
        }
    }

    private readonly struct LeaderSink(SagaReplicaCore owner) : ISagaSink
    {
        public void OnStepRequest(int partition, in Transfer step) => owner.OnStepRequest(partition, in step);

        public void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) => owner.OnCompleted(correlationId, sagaId, code, timestamp);
    }
}
