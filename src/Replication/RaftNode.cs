namespace Wallet.Replication;

/// <summary>
/// One replica of a Raft group (static membership of 1, 3 or 5): elections with pre-vote and randomized timeouts,
/// the election restriction, a no-op entry per new leader term, streamed (pipelined) log replication with durable
/// acknowledgements, commit by majority durability of current-term entries, CheckQuorum step-down.
/// <para>
/// Single-threaded and deterministic: it has no clock, randomness, thread or I/O of its own. A driver thread calls
/// <see cref="Tick"/>, <see cref="Receive"/> and <see cref="Propose"/> with the current time, then <see cref="Flush"/>
/// once per batch (group commit: one log sync per batch, then acknowledgements and streamed entries go out through
/// the <see cref="IRaftOutbox"/>). The same code runs over TCP and inside the deterministic simulator.
/// See docs/REPLICATION.md for the protocol and its safety argument.
/// </para>
/// </summary>
public sealed partial class RaftNode
{
    private readonly RaftOptions _options;
    private readonly IRaftLog _log;
    private readonly IRaftStateStore _store;
    private readonly IRaftRandom _random;
    private readonly IRaftOutbox _outbox;
    private readonly IRaftSnapshotStore? _snapshots;
    private readonly int[] _members;
    private readonly int _selfSlot;
    private readonly int _majority;
    private readonly byte[] _sendBuffer;
    private readonly byte[] _blobBuffer;

    private long _term;
    private int _votedFor;
    private RaftRole _role;
    private int _leaderId = -1;
    private long _commitIndex;
    private long _nowMs;

    // Timers (absolute driver-clock ms).
    private long _electionDeadlineMs;
    private long _heartbeatDueMs;
    private long _lastLeaderContactMs = long.MinValue / 2;
    private long _becameLeaderAtMs;

    // Elections: one flag per member slot.
    private readonly bool[] _votes;

    // Follower: highest index known to match the current leader's log in this term; the ack owed at the next Flush.
    private long _leaderMatchIndex;
    private PendingAck _pendingAck;
    private long _pendingRejectHint;

    // Leader: per member slot (the own slot is unused).
    private readonly PeerProgress[] _peers;

    /// <summary>Creates a follower from the persisted hard state and the log. Nothing is sent until the first Tick.</summary>
    /// <param name="options">Membership and timings.</param>
    /// <param name="log">The replicated log (its FirstIndex - 1 term is the compaction boundary).</param>
    /// <param name="hardState">Term and vote, saved before any message depending on them leaves.</param>
    /// <param name="random">Election jitter.</param>
    /// <param name="outbox">Where messages go (copied, never blocking).</param>
    /// <param name="snapshots">
    /// The replica's snapshot files, for InstallSnapshot; null when the log is never compacted (a follower the log cannot
    /// serve is then only counted in <see cref="RaftCounters.SnapshotRequired"/>).
    /// </param>
    public RaftNode(RaftOptions options, IRaftLog log, IRaftStateStore hardState, IRaftRandom random, IRaftOutbox outbox,
        IRaftSnapshotStore? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(hardState);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(outbox);
        options.Validate();
        _options = options;
        _log = log;
        _store = hardState;
        _random = random;
        _outbox = outbox;
        _snapshots = snapshots;
        _members = new int[options.Members.Count];
        for (var i = 0; i < _members.Length; i++)
        {
            _members[i] = options.Members[i];
            if (_members[i] == options.NodeId) _selfSlot = i;
        }

        if (log.MaxCursors < _members.Length) throw new ArgumentException($"The log offers {log.MaxCursors} cursors; the node needs {_members.Length}.", nameof(log));
        _majority = _members.Length / 2 + 1;
        _votes = new bool[_members.Length];
        _peers = new PeerProgress[_members.Length];
        for (var i = 0; i < _peers.Length; i++) _peers[i] = new PeerProgress(options.MaxInFlightBytesPerFollower, options.MaxMessageBytes);
        _sendBuffer = new byte[options.MaxMessageBytes];
        _blobBuffer = new byte[options.MaxMessageBytes];

        RaftHardState state = hardState.Load();
        if (state.CurrentTerm < 0) throw new InvalidOperationException($"Persisted term {state.CurrentTerm} is negative.");
        _term = state.CurrentTerm;
        _votedFor = state.VotedFor;
        _role = RaftRole.Follower;
        // Entries before the retained log were covered by a snapshot of applied, hence committed, entries.
        _commitIndex = Math.Max(0, log.FirstIndex - 1);
        _electionDeadlineMs = long.MinValue; // set on the first Tick, from that tick's time
        _rejoining = options.RejoinAfterDataLoss;
    }

    /// <summary>This replica's id.</summary>
    public int NodeId => _options.NodeId;

    public RaftRole Role => _role;

    /// <summary>Current term (persisted before any message of this term is answered).</summary>
    public long Term => _term;

    /// <summary>The leader of <see cref="Term"/> as far as this node knows; -1 when unknown.</summary>
    public int LeaderId => _leaderId;

    /// <summary>
    /// Highest index known committed (durable on a majority; never decreases while the node lives, restarts at 0).
    /// Entries up to here may be applied. On a leader, an entry is acknowledged to its client once it is committed.
    /// </summary>
    public long CommitIndex => _commitIndex;

    /// <summary>Newest log index.</summary>
    public long LastIndex => _log.LastIndex;

    /// <summary>The node's vote in <see cref="Term"/>, or <see cref="RaftHardState.NoVote"/>.</summary>
    public int VotedFor => _votedFor;

    public RaftCounters Counters { get; } = new();

    public RaftOptions Options => _options;

    /// <summary>
    /// Advances timers to <paramref name="nowMs"/> (monotonic driver clock): election timeout and pre-vote,
    /// heartbeats, CheckQuorum, resend of unacknowledged streams. Call <see cref="Flush"/> afterwards.
    /// </summary>
    public void Tick(long nowMs)
    {
        _nowMs = nowMs;
        if (_electionDeadlineMs == long.MinValue) ResetElectionTimer();
        if (_role == RaftRole.Leader)
        {
            TickLeader();
            return;
        }

        if (_rejoining)
        {
            // A non-voting catch-up member never campaigns; silence only means the leader is unknown. Its quiet period
            // starts at the first tick at the latest.
            InRejoinQuiet();
            if (nowMs >= _electionDeadlineMs)
            {
                _leaderId = -1;
                ResetElectionTimer();
            }

            return;
        }

        // A group of one has nobody to wait for: it elects itself at its first tick.
        if (nowMs >= _electionDeadlineMs || _members.Length == 1)
        {
            if (_options.PreVote) StartPreVote();
            else StartElection();
        }
    }

    /// <summary>
    /// Leader only: appends an entry with the current term at LastIndex + 1 and returns its index, or -1 when this node
    /// is not the leader. The entry is committed (and may be applied and acknowledged) once <see cref="CommitIndex"/>
    /// reaches the index and the entry there still has the returned term (see <see cref="TermAt"/>).
    /// </summary>
    /// <param name="type">Entry type, nonzero (ledger commands use CommandKind; <see cref="RaftEntryType"/> values are reserved).</param>
    /// <param name="timestampNs">Sequencer stamp; must not be below the log's last timestamp.</param>
    /// <param name="payload">At most <see cref="RaftOptions.MaxEntryPayloadBytes"/>.</param>
    /// <exception cref="ArgumentException">Type 0 or reserved, payload too large, or timestamp going back (caller bugs).</exception>
    public long Propose(ushort type, long timestampNs, ReadOnlySpan<byte> payload)
    {
        if (type == 0 || type == RaftEntryType.NewLeaderTerm) throw new ArgumentException($"Entry type {type} is reserved.", nameof(type));
        if (payload.Length > _options.MaxEntryPayloadBytes) throw new ArgumentException($"Payload of {payload.Length} bytes exceeds MaxEntryPayloadBytes {_options.MaxEntryPayloadBytes}.", nameof(payload));
        if (timestampNs < _log.LastTimestampNs) throw new ArgumentException($"Timestamp {timestampNs} is before the log's last timestamp {_log.LastTimestampNs}.", nameof(timestampNs));
        if (_role != RaftRole.Leader) return -1;
        var index = _log.LastIndex + 1;
        _log.Append(type, index, _term, timestampNs, payload);
        return index;
    }

    /// <summary>
    /// End of a batch: syncs the log per its fsync policy, then (leader) advances the commit index and streams new
    /// entries to every follower within its in-flight window, or (follower) acknowledges its durable position.
    /// </summary>
    public void Flush(long nowMs)
    {
        _nowMs = nowMs;
        _log.Flush();
        if (_role == RaftRole.Leader)
        {
            AdvanceCommit();
            for (var slot = 0; slot < _members.Length; slot++)
            {
                if (slot != _selfSlot) StreamTo(slot);
            }

            return;
        }

        if (_pendingAck != PendingAck.None && _leaderId >= 0)
        {
            var leaderSlot = SlotOf(_leaderId);
            if (leaderSlot >= 0)
            {
                if (_pendingAck == PendingAck.Success)
                {
                    var durable = Math.Min(_log.DurableIndex, _leaderMatchIndex);
                    SendAppendResponse(leaderSlot, success: true, _leaderMatchIndex, durable, 0);
                }
                else
                {
                    SendAppendResponse(leaderSlot, success: false, 0, 0, _pendingRejectHint);
                }
            }
        }

        _pendingAck = PendingAck.None;
        if (_rejoining) CheckRejoined();
    }

    /// <summary>
    /// Leader only: the highest index <paramref name="nodeId"/> is known to hold durably (its acknowledged durable
    /// position); the leader's own durable index for itself; -1 when this node does not lead or the id is not a member.
    /// </summary>
    public long DurableIndexOf(int nodeId)
    {
        if (_role != RaftRole.Leader) return -1;
        int slot = SlotOf(nodeId);
        if (slot < 0) return -1;
        return slot == _selfSlot ? _log.DurableIndex : _peers[slot].DurableIndex;
    }

    /// <summary>Term of the entry at <paramref name="index"/> in this node's log (-1 when not held; 0 for index 0).</summary>
    public long TermAt(long index) => index > _log.LastIndex ? -1 : _log.TermAt(index);

    private void ResetElectionTimer()
    {
        var timeout = _random.NextInt(_options.ElectionTimeoutMs, 2 * _options.ElectionTimeoutMs);
        _electionDeadlineMs = _nowMs + timeout;
    }

    private int SlotOf(int nodeId)
    {
        for (var i = 0; i < _members.Length; i++)
        {
            if (_members[i] == nodeId) return i;
        }

        return -1;
    }

    private void PersistHardState() => _store.Save(new RaftHardState(_term, _votedFor));

    /// <summary>Adopts a newer term (or steps down in the same term): follower, vote cleared when the term changes.</summary>
    private void BecomeFollower(long term, int leaderId)
    {
        if (term > _term)
        {
            _term = term;
            _votedFor = RaftHardState.NoVote;
            _leaderMatchIndex = 0;
            _pendingAck = PendingAck.None;
            PersistHardState();
        }

        if (_role == RaftRole.Leader)
        {
            for (var i = 0; i < _peers.Length; i++)
            {
                if (_peers[i].Snapshotting) _snapshots?.EndRead(i);
                _peers[i].Reset(0);
            }
        }

        _role = RaftRole.Follower;
        if (leaderId != _leaderId) _leaderMatchIndex = 0;
        _leaderId = leaderId;
        ResetElectionTimer();
    }

    private enum PendingAck : byte
    {
        None = 0,
        Success = 1,
        Reject = 2,
    }
}
