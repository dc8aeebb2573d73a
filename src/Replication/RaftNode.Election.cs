namespace Wallet.Replication;

public sealed partial class RaftNode
{
    /// <summary>
    /// Within a leader's lease this node will not help anyone campaign: it heard from the leader of its term less
    /// than an election timeout ago (or is that leader). Together with pre-vote this keeps a node that was cut off
    /// (or restarted) from deposing a healthy leader.
    /// </summary>
    private bool InLeaderLease =>
        _options.CheckQuorum && (_role == RaftRole.Leader
            || (_leaderId >= 0 && _nowMs - _lastLeaderContactMs < _options.ElectionTimeoutMs));

    /// <summary>Election restriction: a vote goes only to a log at least as up to date as ours (last term, then last index).</summary>
    private bool IsUpToDate(long lastIndex, long lastTerm)
    {
        var myLastTerm = _log.LastTerm;
        return lastTerm > myLastTerm || (lastTerm == myLastTerm && lastIndex >= _log.LastIndex);
    }

    private void StartPreVote()
    {
        Counters.PreVotesStarted++;
        _role = RaftRole.PreCandidate;
        _leaderId = -1;
        Array.Clear(_votes);
        _votes[_selfSlot] = true;
        ResetElectionTimer();
        if (CountVotes() >= _majority)
        {
            StartElection();
            return;
        }

        for (var slot = 0; slot < _members.Length; slot++)
        {
            if (slot != _selfSlot) SendVoteRequest(slot, preVote: true, _term + 1);
        }
    }

    private void StartElection()
    {
        Counters.ElectionsStarted++;
        _term++;
        _votedFor = _options.NodeId;
        _leaderMatchIndex = 0;
        _pendingAck = PendingAck.None;
        PersistHardState(); // before any VoteRequest of the new term leaves
        _role = RaftRole.Candidate;
        _leaderId = -1;
        Array.Clear(_votes);
        _votes[_selfSlot] = true;
        ResetElectionTimer();
        if (CountVotes() >= _majority)
        {
            BecomeLeader();
            return;
        }

        for (var slot = 0; slot < _members.Length; slot++)
        {
            if (slot != _selfSlot) SendVoteRequest(slot, preVote: false, _term);
        }
    }

    private int CountVotes()
    {
        var n = 0;
        foreach (var v in _votes)
        {
            if (v) n++;
        }

        return n;
    }

    private void HandlePreVoteRequest(int slot, long term, long lastIndex, long lastTerm)
    {
        // Changes no state: a pre-vote neither adopts the term nor records a vote.
        var grant = !_rejoining && term > _term && !InLeaderLease && IsUpToDate(lastIndex, lastTerm);
        SendVoteResponse(slot, preVote: true, grant ? term : _term, grant);
    }

    private void HandlePreVoteResponse(int slot, long term, bool granted)
    {
        if (!granted)
        {
            if (term > _term) BecomeFollower(term, -1);
            return;
        }

        if (_role != RaftRole.PreCandidate || term != _term + 1) return;
        _votes[slot] = true;
        if (CountVotes() >= _majority) StartElection();
    }

    private void HandleVoteRequest(int slot, long term, long lastIndex, long lastTerm)
    {
        if (term < _term)
        {
            SendVoteResponse(slot, preVote: false, _term, granted: false);
            return;
        }

        if (term > _term)
        {
            if (InLeaderLease)
            {
                Counters.VotesIgnoredInLease++;
                return;
            }

            BecomeFollower(term, -1);
        }

        var candidate = _members[slot];
        // A rejoining node may have voted in this term before it lost its data: it votes for nobody until caught up.
        var grant = !_rejoining && (_votedFor == RaftHardState.NoVote || _votedFor == candidate) && IsUpToDate(lastIndex, lastTerm);
        if (grant && _votedFor != candidate)
        {
            _votedFor = candidate;
            PersistHardState(); // the vote is durable before the candidate can count it
        }

        if (grant) ResetElectionTimer();
        SendVoteResponse(slot, preVote: false, _term, grant);
    }

    private void HandleVoteResponse(int slot, long term, bool granted)
    {
        if (term > _term)
        {
            BecomeFollower(term, -1);
            return;
        }

        if (_role != RaftRole.Candidate || term != _term || !granted) return;
        _votes[slot] = true;
        if (CountVotes() >= _majority) BecomeLeader();
    }

    private void BecomeLeader()
    {
        Counters.Leaderships++;
        _role = RaftRole.Leader;
        _leaderId = _options.NodeId;
        _becameLeaderAtMs = _nowMs;
        var next = _log.LastIndex + 1;
        for (var slot = 0; slot < _peers.Length; slot++)
        {
            var p = _peers[slot];
            if (p.Snapshotting) _snapshots?.EndRead(slot);
            p.Reset(next);
            p.LastResponseMs = _nowMs;
            p.LastProgressMs = _nowMs;
        }

        // The new-term entry: committing it (a current-term entry) commits everything before it.
        // One nanosecond past the last stamp: the ledger applies every log entry (this one as a no-op) and log time
        // strictly increases from entry to entry.
        _log.Append(RaftEntryType.NewLeaderTerm, next, _term, _log.LastTimestampNs + 1, ReadOnlySpan<byte>.Empty);
        _heartbeatDueMs = _nowMs + _options.HeartbeatIntervalMs;
    }

    private void TickLeader()
    {
        if (_options.CheckQuorum && _nowMs - _becameLeaderAtMs >= _options.ElectionTimeoutMs)
        {
            var active = 1;
            for (var slot = 0; slot < _peers.Length; slot++)
            {
                if (slot != _selfSlot && _nowMs - _peers[slot].LastResponseMs < _options.ElectionTimeoutMs) active++;
            }

            if (active < _majority)
            {
                Counters.CheckQuorumStepDowns++;
                BecomeFollower(_term, -1);
                return;
            }
        }

        var heartbeat = _nowMs >= _heartbeatDueMs;
        if (heartbeat) _heartbeatDueMs = _nowMs + _options.HeartbeatIntervalMs;
        for (var slot = 0; slot < _peers.Length; slot++)
        {
            if (slot == _selfSlot) continue;
            var p = _peers[slot];
            if (p.Snapshotting)
            {
                if (p.SnapshotProbing)
                {
                    if (p.ProbeOutstanding && _nowMs - p.LastSendMs >= _options.ResendTimeoutMs) p.ProbeOutstanding = false;
                }
                else if (p.InFlightCount > 0 && _nowMs - p.LastProgressMs >= _options.ResendTimeoutMs)
                {
                    // Chunks lost: go back to the acknowledged offset, one chunk at a time until the follower answers.
                    Counters.SnapshotTransferRestarts++;
                    p.ClearInFlight();
                    p.SnapshotProbing = true;
                    p.ProbeOutstanding = false;
                    p.SnapshotNextOffset = p.SnapshotAckedOffset;
                }
            }
            else if (p.Probing)
            {
                if (p.ProbeOutstanding && _nowMs - p.LastSendMs >= _options.ResendTimeoutMs) p.ProbeOutstanding = false;
            }
            else if (p.InFlightCount > 0 && _nowMs - p.LastProgressMs >= _options.ResendTimeoutMs)
            {
                ResetStream(p, p.MatchIndex + 1);
            }

            if (heartbeat) SendHeartbeat(slot);
        }
    }
}
