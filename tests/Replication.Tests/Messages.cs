using System.Buffers.Binary;
using Wallet.Replication.Sbe;

namespace Wallet.Replication.Tests;

/// <summary>Builds consensus messages by hand (as a peer would) for unit tests.</summary>
internal static class Messages
{
    public static byte[] VoteRequest(long term, long lastIndex, long lastTerm, bool preVote = false)
    {
        var buffer = new byte[64];
        if (preVote)
        {
            var e = PreVoteRequestEncoder.WrapAndApplyHeader(buffer, 0);
            e.Term = term;
            e.LastLogIndex = lastIndex;
            e.LastLogTerm = lastTerm;
            return buffer.AsSpan(0, e.Limit).ToArray();
        }

        var v = VoteRequestEncoder.WrapAndApplyHeader(buffer, 0);
        v.Term = term;
        v.LastLogIndex = lastIndex;
        v.LastLogTerm = lastTerm;
        return buffer.AsSpan(0, v.Limit).ToArray();
    }

    public static byte[] VoteResponse(long term, bool granted, bool preVote = false)
    {
        var buffer = new byte[64];
        if (preVote)
        {
            var e = PreVoteResponseEncoder.WrapAndApplyHeader(buffer, 0);
            e.Term = term;
            e.Granted = granted ? BooleanType.True : BooleanType.False;
            return buffer.AsSpan(0, e.Limit).ToArray();
        }

        var v = VoteResponseEncoder.WrapAndApplyHeader(buffer, 0);
        v.Term = term;
        v.Granted = granted ? BooleanType.True : BooleanType.False;
        return buffer.AsSpan(0, v.Limit).ToArray();
    }

    public static byte[] AppendResponse(long term, bool success, long match, long durable, long hint = 0)
    {
        var buffer = new byte[64];
        var e = AppendResponseEncoder.WrapAndApplyHeader(buffer, 0);
        e.Term = term;
        e.Success = success ? BooleanType.True : BooleanType.False;
        e.MatchIndex = match;
        e.DurableIndex = durable;
        e.HintIndex = hint;
        return buffer.AsSpan(0, e.Limit).ToArray();
    }

    /// <summary>AppendEntries with entries given as (term, type, timestamp, payload).</summary>
    public static byte[] AppendEntries(long term, long prevIndex, long prevTerm, long leaderCommit, params (long Term, ushort Type, long Ts, byte[] Payload)[] entries)
    {
        var blob = new List<byte>();
        foreach (var (t, type, ts, payload) in entries)
        {
            var size = (RaftOptions.EntryHeaderBytes + payload.Length + 7) & ~7;
            var e = new byte[size];
            BinaryPrimitives.WriteUInt16LittleEndian(e, type);
            BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(4), payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(e.AsSpan(8), t);
            BinaryPrimitives.WriteInt64LittleEndian(e.AsSpan(16), ts);
            payload.CopyTo(e, RaftOptions.EntryHeaderBytes);
            blob.AddRange(e);
        }

        var buffer = new byte[128 + blob.Count];
        var m = AppendEntriesEncoder.WrapAndApplyHeader(buffer, 0);
        m.Term = term;
        m.PrevLogIndex = prevIndex;
        m.PrevLogTerm = prevTerm;
        m.LeaderCommit = leaderCommit;
        m.EntryCount = (uint)entries.Length;
        m.PutEntries(blob.ToArray());
        return buffer.AsSpan(0, m.Limit).ToArray();
    }

    public static ushort TemplateOf(byte[] message) => BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(2));

    public static bool Granted(byte[] message) => message[HeaderBytes + 8] == 1;

    public const int HeaderBytes = 8;
}
