using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Answer: the transfers found, in request order; ids not found are simply absent. With a partition (peer role only),
/// sent as PeerLookupTransfers: the lookup of that one partition.
/// </summary>
internal sealed class LookupTransfersRequest(ReadOnlyMemory<UInt128> ids, int timeoutMs, int partition = -1)
    : PendingRequest<Transfer[]>(partition < 0 ? RequestKind.LookupTransfers : RequestKind.PeerLookupTransfers, ids.Length,
        FrameCodec.BatchFrameBytes(ids.Length, FrameCodec.IdEntryBytes) + (partition < 0 ? 0 : FrameCodec.PeerLookupTransfersRootExtraBytes), timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId) => partition < 0
        ? FrameCodec.Ids(frame, RequestKind.LookupTransfers, correlationId, ids.Span)
        : FrameCodec.PeerLookupTransfers(frame, correlationId, (ushort)partition, ids.Span);

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != TransfersFoundDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        InboundFrame.CheckBlock(sbe, TransfersFoundDecoder.BlockLength, "TransfersFound");
        if (!TransfersFoundDecoder.TryWrapWithHeader(sbe, 0, out TransfersFoundDecoder message))
        {
            throw new WalletProtocolException("TransfersFound header mismatch");
        }
        AnswerLogIndex = message.LogIndex;
        var group = message.Transfers();
        InboundFrame.CheckGroup(group.Count, group.ActingBlockLength, TransfersFoundDecoder.TransfersDecoder.BlockLength,
            ids.Length, message.Limit, sbe.Length, "transfers");
        var found = new Transfer[group.Count];
        int n = 0;
        int cursor = 0;
        ReadOnlySpan<UInt128> asked = ids.Span;
        while (group.MoveNext())
        {
            ref Transfer t = ref found[n++];
            t.Id = Id128.Get(group.Id);
            cursor = FoundIds.Match(asked, cursor, t.Id, "TransfersFound");
            t.DebitAccountId = Id128.Get(group.DebitAccountId);
            t.CreditAccountId = Id128.Get(group.CreditAccountId);
            t.Amount = group.Amount;
            t.PendingId = Id128.Get(group.PendingId);
            t.UserData128 = Id128.Get(group.UserData128);
            t.UserData64 = group.UserData64;
            t.Timestamp = group.TimestampNs;
            t.UserData32 = group.UserData32;
            t.TimeoutSeconds = group.TimeoutSeconds;
            t.Ledger = group.Ledger;
            t.Code = group.Code;
            t.Flags = (TransferFlags)group.Flags;
        }
        Succeed(found);
    }
}
