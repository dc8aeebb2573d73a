using System.Buffers.Binary;
using Wallet.Replication.Sbe;

namespace Wallet.Replication;

/// <summary>
/// InstallSnapshot (docs/REPLICATION.md, "Catch-up by snapshot"). A leader whose log was compacted past what a follower
/// needs streams its newest snapshot file in chunks (a byte window like AppendEntries', acknowledged by offset, restarted
/// from the follower's offset — zero after a crash or a failed verification — on mismatch or silence). The follower
/// writes the chunks to a temporary file, verifies the file's own checksums, installs it atomically, then replaces its
/// log with an empty one after the snapshot index (unless its log already holds that entry) and tells its driver to
/// reset the state machine from the snapshot (<see cref="SnapshotInstalls"/>, <see cref="LastInstalledSnapshot"/>).
/// </summary>
public sealed partial class RaftNode
{
    // Follower: the transfer being received (one at a time).
    private bool _receiving;
    private RaftSnapshotMeta _receiveMeta;
    private long _received;

    /// <summary>
    /// Follower: snapshots installed by this node object so far. When it changes, the driver resets its state machine
    /// from <see cref="LastInstalledSnapshot"/> (unless it already applied past that index) and applies from Index + 1.
    /// </summary>
    public long SnapshotInstalls { get; private set; }

    /// <summary>The snapshot this node installed last (default when none).</summary>
    public RaftSnapshotMeta LastInstalledSnapshot { get; private set; }

    /// <summary>Leader: the follower in <paramref name="slot"/> needs entries before this log; send the newest snapshot instead.</summary>
    private bool StartSnapshot(int slot)
    {
        var p = _peers[slot];
        if (_snapshots is null || !_snapshots.TryGetNewest(out var meta) || meta.Index < _log.FirstIndex - 1 || meta.Index > _log.LastIndex
            || meta.SizeBytes < 1 || meta.SizeBytes > _options.MaxSnapshotBytes || _log.TermAt(meta.Index) != meta.Term)
        {
            // Retention only compacts below the newest snapshot, so this means a misconfiguration (or a missing store).
            Counters.SnapshotRequired++;
            return false;
        }

        Counters.SnapshotTransfersStarted++;
        p.BeginSnapshot(meta);
        p.LastProgressMs = _nowMs;
        return true;
    }

    /// <summary>
    /// Leader, snapshot mode: one probe chunk after a (re)start, else chunks while the byte window has room and this
    /// flush's read budget lasts (<see cref="RaftOptions.SnapshotReadBytesPerFlush"/>: bounded disk I/O per consensus loop).
    /// </summary>
    private void StreamSnapshot(int slot)
    {
        var p = _peers[slot];
        var size = p.Snapshot.SizeBytes;
        if (p.SnapshotProbing)
        {
            if (p.ProbeOutstanding) return;
            if (SendSnapshotChunk(slot, p.SnapshotNextOffset, out _, out _)) p.ProbeOutstanding = true;
            return;
        }

        long budget = _options.SnapshotReadBytesPerFlush;
        while (p.Snapshotting && p.SnapshotNextOffset < size && !p.WindowFull && budget > 0)
        {
            long offset = p.SnapshotNextOffset;
            if (!SendSnapshotChunk(slot, offset, out var end, out var bytes)) return;
            budget -= end - offset;
            if (p.InFlightCount == 0) p.LastProgressMs = _nowMs;
            p.PushInFlight(end, bytes);
            p.SnapshotNextOffset = end;
        }
    }

    private bool SendSnapshotChunk(int slot, long offset, out long end, out int bytes)
    {
        var p = _peers[slot];
        var meta = p.Snapshot;
        end = offset;
        bytes = 0;
        var want = (int)Math.Min(_options.EffectiveSnapshotChunkBytes, meta.SizeBytes - offset);
        var read = want <= 0 ? -1 : _snapshots!.Read(slot, meta, offset, _blobBuffer.AsSpan(0, want));
        if (read <= 0)
        {
            // The file went away (retention replaced it) or cannot be read: start over with whatever is newest.
            AbandonSnapshot(slot);
            return false;
        }

        var e = InstallSnapshotEncoder.WrapAndApplyHeader(_sendBuffer, 0);
        e.Term = _term;
        e.SnapshotIndex = meta.Index;
        e.SnapshotTerm = meta.Term;
        e.SnapshotTimestampNs = meta.TimestampNs;
        e.TotalBytes = meta.SizeBytes;
        e.ChunkOffset = offset;
        e.Checksum = meta.Checksum;
        e.LeaderCommit = _commitIndex;
        e.Last = offset + read == meta.SizeBytes ? BooleanType.True : BooleanType.False;
        e.PutData(_blobBuffer.AsSpan(0, read));
        p.LastSendMs = _nowMs;
        p.CommitSent = _commitIndex;
        Counters.SnapshotChunksSent++;
        Send(slot, e.Limit);
        end = offset + read;
        bytes = e.Limit;
        return true;
    }

    private void AbandonSnapshot(int slot)
    {
        var p = _peers[slot];
        _snapshots?.EndRead(slot);
        p.EndSnapshot();
        p.Probing = true;
        p.ProbeOutstanding = false;
        // Back to the log: the next StreamTo finds the gap again and starts a transfer of the newest snapshot.
        p.NextIndex = Math.Min(p.NextIndex, _log.LastIndex + 1);
    }

    /// <summary>Leader: the follower's answer to a chunk.</summary>
    private void HandleInstallSnapshotResponse(int slot, long term, long index, ulong checksum, long nextOffset, SnapshotChunkStatus status)
    {
        if (term > _term)
        {
            BecomeFollower(term, -1);
            return;
        }

        if (_role != RaftRole.Leader || term < _term) return;
        var p = _peers[slot];
        p.LastResponseMs = _nowMs;
        if (!p.Snapshotting || index != p.Snapshot.Index || checksum != p.Snapshot.Checksum) return; // stale
        var size = p.Snapshot.SizeBytes;
        switch (status)
        {
            case SnapshotChunkStatus.Installed:
                if (index > _log.LastIndex)
                {
                    Counters.ProtocolViolations++;
                    return;
                }

                Counters.SnapshotTransfersCompleted++;
                _snapshots?.EndRead(slot);
                p.EndSnapshot();
                // The follower's state is the snapshot (durable there) and its log continues after it.
                if (index > p.MatchIndex) p.MatchIndex = index;
                if (index > p.DurableIndex) p.DurableIndex = index;
                p.Probing = true;
                p.ProbeOutstanding = false;
                p.NextIndex = index + 1;
                p.LastProgressMs = _nowMs;
                AdvanceCommit();
                return;
            case SnapshotChunkStatus.Accepted:
                if (nextOffset > p.SnapshotAckedOffset && nextOffset <= size)
                {
                    p.SnapshotAckedOffset = nextOffset;
                    p.LastProgressMs = _nowMs;
                    p.ReleaseUpTo(nextOffset);
                    if (p.SnapshotProbing)
                    {
                        p.SnapshotProbing = false;
                        p.ProbeOutstanding = false;
                        p.ClearInFlight();
                        p.SnapshotNextOffset = nextOffset;
                    }
                    else if (p.SnapshotNextOffset < nextOffset)
                    {
                        p.SnapshotNextOffset = nextOffset;
                    }
                }

                return;
            default: // Restart: resend from the follower's offset (0 when it lost or rejected its temporary file)
                if (nextOffset < 0 || nextOffset > size) return;
                if (nextOffset >= p.SnapshotNextOffset && !p.SnapshotProbing) return; // nothing was lost past what we sent
                Counters.SnapshotTransferRestarts++;
                p.ClearInFlight();
                p.SnapshotProbing = true;
                p.ProbeOutstanding = false;
                p.SnapshotNextOffset = nextOffset;
                p.SnapshotAckedOffset = Math.Min(p.SnapshotAckedOffset, nextOffset);
                return;
        }
    }

    /// <summary>Follower: one chunk of the leader's snapshot.</summary>
    private void HandleInstallSnapshot(int slot, long term, in RaftSnapshotMeta meta, long leaderCommit, long offset, ReadOnlySpan<byte> data)
    {
        var from = _members[slot];
        if (term < _term)
        {
            // A stale leader: our term in the answer makes it step down.
            SendSnapshotResponse(slot, meta, 0, SnapshotChunkStatus.Restart);
            return;
        }

        if (term > _term || _role != RaftRole.Follower || _leaderId != from)
        {
            if (term == _term && _role == RaftRole.Leader)
            {
                Counters.ProtocolViolations++;
                return;
            }

            BecomeFollower(term, from);
        }

        _lastLeaderContactMs = _nowMs;
        ResetElectionTimer();
        if (_rejoining) OnRejoinContact(from, leaderCommit);

        // Already covered: a local snapshot (before the log) or a durable entry with the snapshot's term (log matching:
        // then everything up to it equals the leader's). Nothing to install.
        if (meta.Index < _log.FirstIndex || (meta.Index <= _log.DurableIndex && _log.TermAt(meta.Index) == meta.Term))
        {
            if (_receiving && _receiveMeta == meta) AbortReceive();
            if (meta.Index >= _log.FirstIndex - 1 && meta.Index > _leaderMatchIndex) _leaderMatchIndex = meta.Index;
            if (meta.Term == term) NoteLeaderTermEntry(meta.Index);
            var commit = Math.Min(leaderCommit, _leaderMatchIndex);
            if (commit > _commitIndex) _commitIndex = commit;
            SendSnapshotResponse(slot, meta, meta.SizeBytes, SnapshotChunkStatus.Installed);
            return;
        }

        if (_snapshots is null)
        {
            SendSnapshotResponse(slot, meta, 0, SnapshotChunkStatus.Restart);
            return;
        }

        if (!_receiving || _receiveMeta != meta)
        {
            if (offset != 0)
            {
                // A chunk of a transfer this node is not receiving (it restarted, or the leader switched snapshots).
                SendSnapshotResponse(slot, meta, 0, SnapshotChunkStatus.Restart);
                return;
            }

            if (_receiving) AbortReceive();
            if (!_snapshots.BeginReceive(meta))
            {
                SendSnapshotResponse(slot, meta, 0, SnapshotChunkStatus.Restart);
                return;
            }

            _receiving = true;
            _receiveMeta = meta;
            _received = 0;
        }

        if (offset != _received)
        {
            // A duplicate (behind) is acknowledged with where we are; a gap (ahead: a chunk was lost) asks for a resend.
            SendSnapshotResponse(slot, meta, _received, offset < _received ? SnapshotChunkStatus.Accepted : SnapshotChunkStatus.Restart);
            return;
        }

        if (!_snapshots.Write(data))
        {
            AbortReceive();
            Counters.SnapshotsRejected++;
            SendSnapshotResponse(slot, meta, 0, SnapshotChunkStatus.Restart);
            return;
        }

        _received += data.Length;
        if (_received < meta.SizeBytes)
        {
            SendSnapshotResponse(slot, meta, _received, SnapshotChunkStatus.Accepted);
            return;
        }

        _receiving = false;
        if (!_snapshots.TryInstall(meta, out _))
        {
            // Torn or garbled on the way to disk: discarded; the leader sends it again from the start.
            Counters.SnapshotsRejected++;
            SendSnapshotResponse(slot, meta, 0, SnapshotChunkStatus.Restart);
            return;
        }

        InstallIntoLog(meta);
        if (meta.Term == term) NoteLeaderTermEntry(meta.Index);
        SendSnapshotResponse(slot, meta, meta.SizeBytes, SnapshotChunkStatus.Installed);
    }

    /// <summary>
    /// The snapshot is installed (durable). Its index is committed on the leader. If this log holds that entry with the
    /// snapshot's term, the log already matches up to there and is kept; otherwise every entry here either precedes the
    /// snapshot or conflicts with the leader (so none is committed) and the log restarts after the snapshot.
    /// </summary>
    private void InstallIntoLog(in RaftSnapshotMeta meta)
    {
        if (meta.Index > _log.LastIndex || _log.TermAt(meta.Index) != meta.Term)
        {
            if (_commitIndex > meta.Index)
            {
                Counters.ProtocolViolations++; // our committed prefix would have to hold the snapshot's entry
                return;
            }

            _log.ResetAfterSnapshot(meta.Index, meta.Term, meta.TimestampNs);
        }

        Counters.SnapshotsInstalled++;
        if (meta.Index > _commitIndex) _commitIndex = meta.Index;
        if (meta.Index > _leaderMatchIndex) _leaderMatchIndex = meta.Index;
        LastInstalledSnapshot = meta;
        SnapshotInstalls++;
    }

    private void AbortReceive()
    {
        _receiving = false;
        _received = 0;
        _snapshots?.AbortReceive();
    }

    private void SendSnapshotResponse(int slot, in RaftSnapshotMeta meta, long nextOffset, SnapshotChunkStatus status)
    {
        var e = InstallSnapshotResponseEncoder.WrapAndApplyHeader(_sendBuffer, 0);
        e.Term = _term;
        e.SnapshotIndex = meta.Index;
        e.Checksum = meta.Checksum;
        e.NextOffset = nextOffset;
        e.Status = status;
        Send(slot, e.Limit);
    }

    private bool OnInstallSnapshot(int slot, ReadOnlySpan<byte> message, int blockLength, int version)
    {
        var d = new InstallSnapshotDecoder(message, HeaderBytes, blockLength, version);
        var dataAt = HeaderBytes + blockLength;
        if (dataAt + BlobLengthBytes > message.Length) return false;
        var dataLength = BinaryPrimitives.ReadUInt32LittleEndian(message[dataAt..]);
        if (dataLength > (uint)(message.Length - dataAt - BlobLengthBytes)) return false;
        var data = message.Slice(dataAt + BlobLengthBytes, (int)dataLength);
        long term = d.Term, index = d.SnapshotIndex, snapshotTerm = d.SnapshotTerm, timestamp = d.SnapshotTimestampNs;
        long total = d.TotalBytes, offset = d.ChunkOffset, leaderCommit = d.LeaderCommit;
        var last = d.LastRaw;
        if (term < 1 || index < 1 || snapshotTerm < 1 || snapshotTerm > term || timestamp < 0 || leaderCommit < 0 || last > 1) return false;
        if (total < 1 || total > _options.MaxSnapshotBytes || offset < 0 || offset >= total) return false;
        if (data.Length == 0 || data.Length > total - offset) return false; // the message itself is bounded by MaxMessageBytes
        if ((last == 1) != (offset + data.Length == total)) return false;
        HandleInstallSnapshot(slot, term, new RaftSnapshotMeta(index, snapshotTerm, timestamp, total, d.Checksum), leaderCommit, offset, data);
        return true;
    }

    private bool OnInstallSnapshotResponse(int slot, InstallSnapshotResponseDecoder d)
    {
        long term = d.Term, index = d.SnapshotIndex, next = d.NextOffset;
        var status = d.StatusRaw;
        if (term < 0 || index < 0 || next < 0 || status > (byte)SnapshotChunkStatus.Restart) return false;
        HandleInstallSnapshotResponse(slot, term, index, d.Checksum, next, (SnapshotChunkStatus)status);
        return true;
    }
}
