using System.Buffers.Binary;

namespace Wallet.Replication;

public sealed partial class RaftNode
{
    private const int MaxHintScan = 1 << 16;

    private void HandleAppendEntries(int slot, long term, long prevIndex, long prevTerm, long leaderCommit, int count, ReadOnlySpan<byte> blob)
    {
        var from = _members[slot];
        if (term < _term)
        {
            // A stale leader: our term in the answer makes it step down.
            SendAppendResponse(slot, success: false, 0, 0, 0);
            return;
        }

        if (term > _term || _role != RaftRole.Follower || _leaderId != from)
        {
            if (term == _term && _role == RaftRole.Leader)
            {
                Counters.ProtocolViolations++; // two leaders in one term cannot happen with honest peers
                return;
            }

            BecomeFollower(term, from);
        }

        _lastLeaderContactMs = _nowMs;
        ResetElectionTimer();
        if (_rejoining) OnRejoinContact(from, leaderCommit);

        var lastIndex = _log.LastIndex;
        if (prevIndex > lastIndex)
        {
            Reject(lastIndex + 1);
            return;
        }

        var localPrevTerm = _log.TermAt(prevIndex);
        if (localPrevTerm < 0)
        {
            // prevIndex precedes what this log holds (only after compaction): everything there is committed.
            Reject(_log.LastIndex + 1);
            return;
        }

        if (localPrevTerm != prevTerm)
        {
            Reject(ConflictHint(prevIndex, localPrevTerm));
            return;
        }

        if (prevTerm == term) NoteLeaderTermEntry(prevIndex);
        var offset = 0;
        var index = prevIndex;
        for (var i = 0; i < count; i++)
        {
            var e = blob[offset..];
            var type = BinaryPrimitives.ReadUInt16LittleEndian(e);
            var length = BinaryPrimitives.ReadInt32LittleEndian(e[4..]);
            var entryTerm = BinaryPrimitives.ReadInt64LittleEndian(e[8..]);
            var timestamp = BinaryPrimitives.ReadInt64LittleEndian(e[16..]);
            var payload = e.Slice(RaftOptions.EntryHeaderBytes, length);
            offset += EntryBytes(length);
            index++;
            if (entryTerm == term) NoteLeaderTermEntry(index);
            if (index <= _log.LastIndex)
            {
                if (_log.TermAt(index) == entryTerm) continue; // already held (duplicate or reordered message)
                if (index <= _commitIndex)
                {
                    Counters.ProtocolViolations++; // a committed entry can never conflict with the leader's log
                    return;
                }

                Counters.Truncations++;
                _log.TruncateAfter(index - 1);
            }

            if (timestamp < _log.LastTimestampNs)
            {
                Counters.MalformedMessages++;
                return;
            }

            _log.Append(type, index, entryTerm, timestamp, payload);
            Counters.EntriesReceived++;
        }

        if (index > _leaderMatchIndex) _leaderMatchIndex = index;
        var commit = Math.Min(leaderCommit, _leaderMatchIndex);
        if (commit > _commitIndex) _commitIndex = commit;
        _pendingAck = PendingAck.Success;
    }

    private void Reject(long hint)
    {
        _pendingAck = PendingAck.Reject;
        _pendingRejectHint = hint;
    }

    /// <summary>Fast back-off: the first index of the conflicting term (never at or below the commit index), so the leader skips the whole term at once.</summary>
    private long ConflictHint(long prevIndex, long conflictTerm)
    {
        var k = prevIndex;
        var floor = Math.Max(_commitIndex + 1, _log.FirstIndex);
        var scanned = 0;
        while (k - 1 >= floor && scanned < MaxHintScan && _log.TermAt(k - 1) == conflictTerm)
        {
            k--;
            scanned++;
        }

        return Math.Max(k, 1);
    }

    private void HandleAppendResponse(int slot, long term, bool success, long match, long durable, long hint)
    {
        if (term > _term)
        {
            BecomeFollower(term, -1);
            return;
        }

        if (_role != RaftRole.Leader || term < _term) return;
        var p = _peers[slot];
        p.LastResponseMs = _nowMs;
        var lastIndex = _log.LastIndex;
        if (success)
        {
            if (match > lastIndex)
            {
                Counters.ProtocolViolations++; // acknowledging entries this leader never had
                return;
            }

            if (match > p.MatchIndex) p.MatchIndex = match;
            if (durable > p.DurableIndex) p.DurableIndex = Math.Min(durable, p.MatchIndex);
            if (p.Snapshotting)
            {
                // A late answer to an AppendEntries sent before the transfer: positions only, the window holds chunks.
                AdvanceCommit();
                return;
            }

            if (p.ReleaseUpTo(p.MatchIndex)) p.LastProgressMs = _nowMs;
            if (p.Probing)
            {
                p.Probing = false;
                p.ProbeOutstanding = false;
                p.ClearInFlight();
                p.NextIndex = p.MatchIndex + 1;
                p.LastProgressMs = _nowMs;
            }
            else if (p.NextIndex <= p.MatchIndex)
            {
                p.NextIndex = p.MatchIndex + 1;
            }

            AdvanceCommit();
            return;
        }

        if (p.Snapshotting) return; // a late rejection: the snapshot transfer answers it already

        // Rejected: the follower lacks NextIndex - 1 or holds a different term there. Its answer proves it does not
        // hold anything from the hint on, so what it acknowledged earlier may have been lost to a crash.
        if (hint <= p.MatchIndex)
        {
            p.MatchIndex = Math.Max(0, hint - 1);
            if (p.DurableIndex > p.MatchIndex) p.DurableIndex = p.MatchIndex;
        }

        var next = Math.Max(p.MatchIndex + 1, Math.Min(hint, lastIndex + 1));
        ResetStream(p, next);
    }

    private void ResetStream(PeerProgress p, long next)
    {
        Counters.StreamResets++;
        p.Probing = true;
        p.ProbeOutstanding = false;
        p.ClearInFlight();
        p.NextIndex = next;
    }

    /// <summary>Commit = the highest index durable on a majority (the leader counts its own durable index), if that entry is of the current term.</summary>
    private void AdvanceCommit()
    {
        Span<long> durable = stackalloc long[_members.Length];
        for (var slot = 0; slot < _members.Length; slot++)
        {
            durable[slot] = slot == _selfSlot ? _log.DurableIndex : _peers[slot].DurableIndex;
        }

        durable.Sort();
        var candidate = durable[_members.Length - _majority]; // the majority-th highest
        if (candidate > _commitIndex && _log.TermAt(candidate) == _term) _commitIndex = candidate;
    }

    /// <summary>Streams entries from NextIndex: in probing mode one message at a time, else as many as the window allows.</summary>
    private void StreamTo(int slot)
    {
        var p = _peers[slot];
        var lastIndex = _log.LastIndex;
        if (!p.Snapshotting && _log.TermAt(p.NextIndex - 1) < 0 && !StartSnapshot(slot)) return;
        if (p.Snapshotting)
        {
            StreamSnapshot(slot);
            return;
        }

        if (p.Probing)
        {
            if (p.ProbeOutstanding) return;
            if (p.NextIndex > lastIndex && p.CommitSent >= _commitIndex) return;
            // NextIndex stays put while probing: a lost probe is re-sent from the same place.
            if (SendAppendEntries(slot, p.NextIndex, out _, out _)) p.ProbeOutstanding = true;

            return;
        }

        var sent = false;
        while (p.NextIndex <= lastIndex && !p.WindowFull)
        {
            if (!SendAppendEntries(slot, p.NextIndex, out var end, out var bytes)) return;
            if (p.InFlightCount == 0) p.LastProgressMs = _nowMs;
            p.PushInFlight(end, bytes);
            p.NextIndex = end + 1;
            sent = true;
        }

        if (!sent && p.CommitSent < _commitIndex && p.InFlightCount == 0) SendHeartbeat(slot);
    }

    /// <summary>An empty AppendEntries at the follower's acknowledged position: proves leadership, carries the commit index, draws an ack.</summary>
    private void SendHeartbeat(int slot)
    {
        var p = _peers[slot];
        if (p.Snapshotting) return; // the transfer's chunks (and their re-sends) keep the follower in touch
        // At the acknowledged position, but never before the log's first known term (the compaction boundary).
        var prev = Math.Min(Math.Max(p.MatchIndex, _log.FirstIndex - 1), _log.LastIndex);
        var prevTerm = _log.TermAt(prev);
        if (prevTerm < 0)
        {
            Counters.SnapshotRequired++; // the log does not know the term at its own boundary
            return;
        }
        var length = EncodeAppendEntries(prev, prevTerm, 0, ReadOnlySpan<byte>.Empty);
        p.CommitSent = _commitIndex;
        Send(slot, length);
    }
}
