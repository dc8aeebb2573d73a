using System.Buffers.Binary;
using Wallet.Replication.Sbe;

namespace Wallet.Replication;

public sealed partial class RaftNode
{
    /// <summary>
    /// Encodes entries [from, …] into one AppendEntries (bounded by MaxMessageBytes and MaxEntriesPerMessage) and sends it.
    /// <paramref name="end"/> is the last index sent (from - 1 when none: a heartbeat at that position).
    /// </summary>
    private bool SendAppendEntries(int slot, long from, out long end, out int bytes)
    {
        end = from - 1;
        bytes = 0;
        var prev = from - 1;
        var prevTerm = _log.TermAt(prev);
        if (prevTerm < 0)
        {
            Counters.SnapshotRequired++; // callers switch to a snapshot transfer before getting here
            return false;
        }
        var lastIndex = _log.LastIndex;
        var blobCapacity = _options.MaxMessageBytes - RaftOptions.AppendEntriesOverheadBytes;
        var blobLength = 0;
        var count = 0;
        for (var index = from; index <= lastIndex && count < _options.MaxEntriesPerMessage; index++)
        {
            if (!_log.TryRead(slot, index, out var entry)) break;
            var size = EntryBytes(entry.Payload.Length);
            if (blobLength + size > blobCapacity) break;
            var dest = _blobBuffer.AsSpan(blobLength, size);
            BinaryPrimitives.WriteUInt16LittleEndian(dest, entry.Type);
            BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], 0);
            BinaryPrimitives.WriteInt32LittleEndian(dest[4..], entry.Payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(dest[8..], entry.Term);
            BinaryPrimitives.WriteInt64LittleEndian(dest[16..], entry.TimestampNs);
            entry.Payload.CopyTo(dest[RaftOptions.EntryHeaderBytes..]);
            dest[(RaftOptions.EntryHeaderBytes + entry.Payload.Length)..].Clear();
            blobLength += size;
            count++;
        }

        var length = EncodeAppendEntries(prev, prevTerm, count, _blobBuffer.AsSpan(0, blobLength));
        var p = _peers[slot];
        p.CommitSent = _commitIndex;
        p.LastSendMs = _nowMs;
        Counters.EntriesSent += count;
        Send(slot, length);
        end = prev + count;
        bytes = length;
        return true;
    }

    private int EncodeAppendEntries(long prev, long prevTerm, int count, ReadOnlySpan<byte> blob)
    {
        var e = AppendEntriesEncoder.WrapAndApplyHeader(_sendBuffer, 0);
        e.Term = _term;
        e.PrevLogIndex = prev;
        e.PrevLogTerm = prevTerm;
        e.LeaderCommit = _commitIndex;
        e.EntryCount = (uint)count;
        e.PutEntries(blob);
        return e.Limit;
    }

    private void SendAppendResponse(int slot, bool success, long match, long durable, long hint)
    {
        var e = AppendResponseEncoder.WrapAndApplyHeader(_sendBuffer, 0);
        e.Term = _term;
        e.Success = success ? BooleanType.True : BooleanType.False;
        e.MatchIndex = match;
        e.DurableIndex = durable;
        e.HintIndex = hint;
        Send(slot, e.Limit);
    }

    private void SendVoteRequest(int slot, bool preVote, long term)
    {
        int length;
        if (preVote)
        {
            var e = PreVoteRequestEncoder.WrapAndApplyHeader(_sendBuffer, 0);
            e.Term = term;
            e.LastLogIndex = _log.LastIndex;
            e.LastLogTerm = _log.LastTerm;
            length = e.Limit;
        }
        else
        {
            var e = VoteRequestEncoder.WrapAndApplyHeader(_sendBuffer, 0);
            e.Term = term;
            e.LastLogIndex = _log.LastIndex;
            e.LastLogTerm = _log.LastTerm;
            length = e.Limit;
        }

        Send(slot, length);
    }

    private void SendVoteResponse(int slot, bool preVote, long term, bool granted)
    {
        int length;
        if (preVote)
        {
            var e = PreVoteResponseEncoder.WrapAndApplyHeader(_sendBuffer, 0);
            e.Term = term;
            e.Granted = granted ? BooleanType.True : BooleanType.False;
            length = e.Limit;
        }
        else
        {
            var e = VoteResponseEncoder.WrapAndApplyHeader(_sendBuffer, 0);
            e.Term = term;
            e.Granted = granted ? BooleanType.True : BooleanType.False;
            length = e.Limit;
        }

        Send(slot, length);
    }

    private void Send(int slot, int length)
    {
        Counters.MessagesSent++;
        _outbox.Send(_members[slot], _sendBuffer.AsSpan(0, length));
    }
}
