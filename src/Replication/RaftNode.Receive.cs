using System.Buffers.Binary;
using Wallet.Replication.Sbe;

namespace Wallet.Replication;

public sealed partial class RaftNode
{
    private const int HeaderBytes = 8;
    private const ushort SchemaId = 22338;
    private const int BlobLengthBytes = 4;

    /// <summary>
    /// Handles one SBE-encoded consensus message from <paramref name="fromNode"/> (untrusted bytes: anything malformed,
    /// from a non-member or from itself is counted in <see cref="RaftCounters.MalformedMessages"/> and dropped).
    /// Responses to votes go out at once; acknowledgements of entries wait for <see cref="Flush"/>.
    /// </summary>
    public void Receive(int fromNode, ReadOnlySpan<byte> message, long nowMs)
    {
        _nowMs = nowMs;
        if (_electionDeadlineMs == long.MinValue) ResetElectionTimer();
        if (InRejoinQuiet())
        {
            // Still "down" after a data loss: nothing is handled, so nothing is answered or acknowledged.
            Counters.RejoinQuietIgnored++;
            return;
        }

        var slot = SlotOf(fromNode);
        if (slot < 0 || slot == _selfSlot || message.Length < HeaderBytes || message.Length > _options.MaxMessageBytes)
        {
            Counters.MalformedMessages++;
            return;
        }

        int blockLength = BinaryPrimitives.ReadUInt16LittleEndian(message);
        int templateId = BinaryPrimitives.ReadUInt16LittleEndian(message[2..]);
        int schemaId = BinaryPrimitives.ReadUInt16LittleEndian(message[4..]);
        int version = BinaryPrimitives.ReadUInt16LittleEndian(message[6..]);
        if (schemaId != SchemaId || HeaderBytes + blockLength > message.Length)
        {
            Counters.MalformedMessages++;
            return;
        }

        var handled = templateId switch
        {
            PreVoteRequestDecoder.TemplateId when blockLength >= PreVoteRequestDecoder.BlockLength =>
                OnPreVoteRequest(slot, new PreVoteRequestDecoder(message, HeaderBytes, blockLength, version)),
            PreVoteResponseDecoder.TemplateId when blockLength >= PreVoteResponseDecoder.BlockLength =>
                OnPreVoteResponse(slot, new PreVoteResponseDecoder(message, HeaderBytes, blockLength, version)),
            VoteRequestDecoder.TemplateId when blockLength >= VoteRequestDecoder.BlockLength =>
                OnVoteRequest(slot, new VoteRequestDecoder(message, HeaderBytes, blockLength, version)),
            VoteResponseDecoder.TemplateId when blockLength >= VoteResponseDecoder.BlockLength =>
                OnVoteResponse(slot, new VoteResponseDecoder(message, HeaderBytes, blockLength, version)),
            AppendEntriesDecoder.TemplateId when blockLength >= AppendEntriesDecoder.BlockLength =>
                OnAppendEntries(slot, message, blockLength, version),
            AppendResponseDecoder.TemplateId when blockLength >= AppendResponseDecoder.BlockLength =>
                OnAppendResponse(slot, new AppendResponseDecoder(message, HeaderBytes, blockLength, version)),
            InstallSnapshotDecoder.TemplateId when blockLength >= InstallSnapshotDecoder.BlockLength =>
                OnInstallSnapshot(slot, message, blockLength, version),
            InstallSnapshotResponseDecoder.TemplateId when blockLength >= InstallSnapshotResponseDecoder.BlockLength =>
                OnInstallSnapshotResponse(slot, new InstallSnapshotResponseDecoder(message, HeaderBytes, blockLength, version)),
            _ => false,
        };
        if (handled) Counters.MessagesReceived++;
        else Counters.MalformedMessages++;
    }

    private bool OnAppendEntries(int slot, ReadOnlySpan<byte> message, int blockLength, int version)
    {
        var decoder = new AppendEntriesDecoder(message, HeaderBytes, blockLength, version);
        var blobAt = HeaderBytes + blockLength;
        if (blobAt + BlobLengthBytes > message.Length) return false;
        var blobLength = BinaryPrimitives.ReadUInt32LittleEndian(message[blobAt..]);
        if (blobLength > (uint)(message.Length - blobAt - BlobLengthBytes)) return false;
        var blob = message.Slice(blobAt + BlobLengthBytes, (int)blobLength);
        long term = decoder.Term, prevIndex = decoder.PrevLogIndex, prevTerm = decoder.PrevLogTerm, leaderCommit = decoder.LeaderCommit;
        var count = decoder.EntryCount;
        if (term < 0 || prevIndex < 0 || prevTerm < 0 || prevTerm > term || leaderCommit < 0 || count > (uint)_options.MaxEntriesPerMessage) return false;
        if (prevIndex > long.MaxValue - 1 - count) return false;
        if (!ValidateEntries(blob, (int)count, term, prevTerm)) return false;
        HandleAppendEntries(slot, term, prevIndex, prevTerm, leaderCommit, (int)count, blob);
        return true;
    }

    /// <summary>Walks the blob once: every entry inside it, sizes and types sane, terms in [prevTerm, term] and non-decreasing, timestamps non-decreasing.</summary>
    private bool ValidateEntries(ReadOnlySpan<byte> blob, int count, long term, long prevTerm)
    {
        var offset = 0;
        var lastTerm = prevTerm;
        var lastTimestamp = 0L;
        for (var i = 0; i < count; i++)
        {
            if (blob.Length - offset < RaftOptions.EntryHeaderBytes) return false;
            var e = blob[offset..];
            var type = BinaryPrimitives.ReadUInt16LittleEndian(e);
            var reserved = BinaryPrimitives.ReadUInt16LittleEndian(e[2..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(e[4..]);
            var entryTerm = BinaryPrimitives.ReadInt64LittleEndian(e[8..]);
            var timestamp = BinaryPrimitives.ReadInt64LittleEndian(e[16..]);
            if (type == 0 || reserved != 0 || length < 0 || length > _options.MaxEntryPayloadBytes) return false;
            if (entryTerm < lastTerm || entryTerm > term || timestamp < lastTimestamp) return false;
            var padded = EntryBytes(length);
            if (padded > blob.Length - offset) return false;
            offset += padded;
            lastTerm = entryTerm;
            lastTimestamp = timestamp;
        }

        return offset == blob.Length;
    }

    internal static int EntryBytes(int payloadLength) => (RaftOptions.EntryHeaderBytes + payloadLength + 7) & ~7;

    private bool OnAppendResponse(int slot, AppendResponseDecoder d)
    {
        long term = d.Term, match = d.MatchIndex, durable = d.DurableIndex, hint = d.HintIndex;
        var successRaw = d.SuccessRaw;
        if (term < 0 || successRaw > 1 || match < 0 || durable < 0 || durable > match || hint < 0) return false;
        HandleAppendResponse(slot, term, successRaw == 1, match, durable, hint);
        return true;
    }

    private bool OnPreVoteRequest(int slot, PreVoteRequestDecoder d)
    {
        long term = d.Term, lastIndex = d.LastLogIndex, lastTerm = d.LastLogTerm;
        if (term < 1 || lastIndex < 0 || lastTerm < 0 || lastTerm >= term) return false;
        HandlePreVoteRequest(slot, term, lastIndex, lastTerm);
        return true;
    }

    private bool OnPreVoteResponse(int slot, PreVoteResponseDecoder d)
    {
        long term = d.Term;
        var granted = d.GrantedRaw;
        if (term < 0 || granted > 1) return false;
        HandlePreVoteResponse(slot, term, granted == 1);
        return true;
    }

    private bool OnVoteRequest(int slot, VoteRequestDecoder d)
    {
        long term = d.Term, lastIndex = d.LastLogIndex, lastTerm = d.LastLogTerm;
        if (term < 1 || lastIndex < 0 || lastTerm < 0 || lastTerm >= term) return false;
        HandleVoteRequest(slot, term, lastIndex, lastTerm);
        return true;
    }

    private bool OnVoteResponse(int slot, VoteResponseDecoder d)
    {
        long term = d.Term;
        var granted = d.GrantedRaw;
        if (term < 0 || granted > 1) return false;
        HandleVoteResponse(slot, term, granted == 1);
        return true;
    }
}
