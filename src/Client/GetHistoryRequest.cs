using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>GetHistory → HistoryPage (or Reject, e.g. NotRunning on a node without a read model).</summary>
internal sealed class GetHistoryRequest(UInt128 accountId, HistoryQuery query, int timeoutMs)
    : PendingRequest<HistoryPage>(RequestKind.GetHistory, 1, FrameCodec.HeaderBytes + GetHistoryEncoder.BlockLength, timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId)
    {
        var m = GetHistoryEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        Id128.Put(m.AccountId, accountId);
        m.FromTimestampNs = query.FromTimestampNs;
        m.ToTimestampNs = query.ToTimestampNs;
        m.AfterIndex = query.AfterIndex;
        m.AfterOrdinal = query.AfterOrdinal;
        m.MaxRows = (ushort)query.MaxRows;
        m.NewestFirst = (byte)(query.NewestFirst ? 1 : 0);
        return FrameCodec.Finish(frame, m.Limit);
    }

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != HistoryPageDecoder.TemplateId) throw Unexpected(templateId, Kind);
        InboundFrame.CheckBlock(sbe, HistoryPageDecoder.BlockLength, "HistoryPage");
        if (!HistoryPageDecoder.TryWrapWithHeader(sbe, 0, out HistoryPageDecoder page)) throw new WalletProtocolException("HistoryPage header mismatch");
        long viewIndex = page.ViewIndex, viewTimestampNs = page.ViewTimestampNs, nextIndex = page.NextIndex;
        uint nextOrdinal = page.NextOrdinal;
        var group = page.Rows();
        InboundFrame.CheckGroup(group.Count, group.ActingBlockLength, HistoryPageDecoder.RowsDecoder.BlockLength,
            query.MaxRows, page.Limit, sbe.Length, "rows");
        var rows = new HistoryRow[group.Count];
        int n = 0;
        while (group.MoveNext())
        {
            rows[n++] = new HistoryRow(group.LogIndex, group.Ordinal, (HistoryEventKind)group.EventKind, (HistorySide)group.Side,
                group.CommandTimestampNs, group.EventTimestampNs, Id128.Get(group.TransferId), Id128.Get(group.CounterpartyId),
                group.Amount, group.DebitsPending, group.DebitsPosted, group.CreditsPending, group.CreditsPosted);
        }
        Succeed(new HistoryPage(viewIndex, viewTimestampNs, nextIndex, nextOrdinal, rows));
    }
}
