using System.Buffers.Binary;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Codec;

/// <summary>
/// Structural check of one SBE message (the bytes after SOFH) before any generated decoder touches it: the
/// generated flyweights do not bounds-check, so every block, group and var data length is verified against the
/// frame here. A message that passes can be decoded without reading past its end.
/// </summary>
internal static class RequestLayout
{
    private const int Header = ProtocolSchema.MessageHeaderLength;

    /// <summary>Largest well-formed request for a batch size: a CreateTransfers of that many entries, framed.</summary>
    public static int MaxRequestBytes(int maxBatchSize) =>
        Sofh.HeaderLength + Header + CreateTransfersDecoder.BlockLength + 4 + maxBatchSize * CreateTransfersDecoder.TransfersDecoder.BlockLength;

    /// <summary>
    /// Validates <paramref name="message"/>. On success returns <see cref="RejectReason.NULL_VALUE"/> and the item
    /// count of the request's group (0 for messages without one). Otherwise the reason and a static UTF-8 text.
    /// </summary>
    public static RejectReason Validate(ReadOnlySpan<byte> message, out ushort templateId, out int itemCount, out ReadOnlySpan<byte> text)
    {
        templateId = 0;
        itemCount = 0;
        if (message.Length < Header)
        {
            text = "message shorter than the 8-byte SBE header"u8;
            return RejectReason.TruncatedMessage;
        }
        ushort blockLength = BinaryPrimitives.ReadUInt16LittleEndian(message);
        templateId = BinaryPrimitives.ReadUInt16LittleEndian(message[2..]);
        ushort schemaId = BinaryPrimitives.ReadUInt16LittleEndian(message[4..]);
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(message[6..]);
        if (schemaId != ProtocolSchema.SchemaId)
        {
            text = "schema id is not 22337"u8;
            return RejectReason.WrongSchema;
        }
        if (version > ProtocolSchema.SchemaVersion)
        {
            text = "schema version newer than this gateway speaks"u8;
            return RejectReason.UnsupportedVersion;
        }

        int minBlock, entryBlock;
        int varData;
        switch (templateId)
        {
            case LogonDecoder.TemplateId: minBlock = LogonDecoder.BlockLength; entryBlock = -1; varData = 2; break;
            case HeartbeatDecoder.TemplateId: minBlock = HeartbeatDecoder.BlockLength; entryBlock = -1; varData = 0; break;
            case LogoutDecoder.TemplateId: minBlock = LogoutDecoder.BlockLength; entryBlock = -1; varData = 1; break;
            case CreateAccountsDecoder.TemplateId: minBlock = CreateAccountsDecoder.BlockLength; entryBlock = CreateAccountsDecoder.AccountsDecoder.BlockLength; varData = 0; break;
            case CreateTransfersDecoder.TemplateId: minBlock = CreateTransfersDecoder.BlockLength; entryBlock = CreateTransfersDecoder.TransfersDecoder.BlockLength; varData = 0; break;
            case SystemCreateAccountsDecoder.TemplateId: minBlock = SystemCreateAccountsDecoder.BlockLength; entryBlock = SystemCreateAccountsDecoder.AccountsDecoder.BlockLength; varData = 0; break;
            case SystemTransfersDecoder.TemplateId: minBlock = SystemTransfersDecoder.BlockLength; entryBlock = SystemTransfersDecoder.TransfersDecoder.BlockLength; varData = 0; break;
            case LookupAccountsDecoder.TemplateId: minBlock = LookupAccountsDecoder.BlockLength; entryBlock = LookupAccountsDecoder.IdsDecoder.BlockLength; varData = 0; break;
            case LookupTransfersDecoder.TemplateId: minBlock = LookupTransfersDecoder.BlockLength; entryBlock = LookupTransfersDecoder.IdsDecoder.BlockLength; varData = 0; break;
            case PeerLookupTransfersDecoder.TemplateId: minBlock = PeerLookupTransfersDecoder.BlockLength; entryBlock = PeerLookupTransfersDecoder.IdsDecoder.BlockLength; varData = 0; break;
            case CloseAccountsDecoder.TemplateId: minBlock = CloseAccountsDecoder.BlockLength; entryBlock = CloseAccountsDecoder.IdsDecoder.BlockLength; varData = 0; break;
            case GetHistoryDecoder.TemplateId: minBlock = GetHistoryDecoder.BlockLength; entryBlock = -1; varData = 0; break;
            case GetBalanceAtDecoder.TemplateId: minBlock = GetBalanceAtDecoder.BlockLength; entryBlock = -1; varData = 0; break;
            default:
                text = "template is not a request this gateway accepts"u8;
                return RejectReason.UnknownTemplate;
        }

        if (blockLength < minBlock)
        {
            text = "root block shorter than the schema's"u8;
            return RejectReason.TruncatedMessage;
        }
        long limit = (long)Header + blockLength;
        if (limit > message.Length)
        {
            text = "frame ends inside the root block"u8;
            return RejectReason.TruncatedMessage;
        }
        if (entryBlock >= 0)
        {
            if (limit + 4 > message.Length)
            {
                text = "frame ends inside a group dimension"u8;
                return RejectReason.TruncatedMessage;
            }
            int wireEntryBlock = BinaryPrimitives.ReadUInt16LittleEndian(message[(int)limit..]);
            itemCount = BinaryPrimitives.ReadUInt16LittleEndian(message[((int)limit + 2)..]);
            if (wireEntryBlock < entryBlock)
            {
                text = "group entry block shorter than the schema's"u8;
                return RejectReason.TruncatedMessage;
            }
            limit += 4 + (long)wireEntryBlock * itemCount;
            if (limit > message.Length)
            {
                text = "frame ends inside a group"u8;
                return RejectReason.TruncatedMessage;
            }
        }
        for (int i = 0; i < varData; i++)
        {
            if (limit + 2 > message.Length)
            {
                text = "frame ends inside a var data length"u8;
                return RejectReason.TruncatedMessage;
            }
            int length = BinaryPrimitives.ReadUInt16LittleEndian(message[(int)limit..]);
            if (length > 1024)
            {
                text = "var data longer than 1024 bytes"u8;
                return RejectReason.InvalidField;
            }
            limit += 2 + length;
            if (limit > message.Length)
            {
                text = "frame ends inside var data"u8;
                return RejectReason.TruncatedMessage;
            }
        }
        if (limit != message.Length)
        {
            text = "bytes after the end of the message"u8;
            return RejectReason.MalformedFrame;
        }
        text = default;
        return RejectReason.NULL_VALUE;
    }

    /// <summary>The correlationId of a request that passed the header checks (0 if its block is too short to hold one).</summary>
    public static ulong PeekCorrelationId(ReadOnlySpan<byte> message, ushort templateId)
    {
        // Every request but Heartbeat/Logout starts its root block with correlationId (uint64).
        if (templateId is HeartbeatDecoder.TemplateId or LogoutDecoder.TemplateId) return 0;
        if (message.Length < Header + 8 || BinaryPrimitives.ReadUInt16LittleEndian(message) < 8) return 0;
        return BinaryPrimitives.ReadUInt64LittleEndian(message[Header..]);
    }
}
