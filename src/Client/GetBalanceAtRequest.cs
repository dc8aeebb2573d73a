using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>GetBalanceAt → BalanceAt (or Reject, e.g. NotRunning on a node without a read model).</summary>
internal sealed class GetBalanceAtRequest(UInt128 accountId, long atIndex, long atTimestampNs, int timeoutMs)
    : PendingRequest<BalanceAt>(RequestKind.GetBalanceAt, 1, FrameCodec.HeaderBytes + GetBalanceAtEncoder.BlockLength, timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId)
    {
        var m = GetBalanceAtEncoder.WrapAndApplyHeader(frame, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        Id128.Put(m.AccountId, accountId);
        m.AtIndex = atIndex;
        m.AtTimestampNs = atTimestampNs;
        return FrameCodec.Finish(frame, m.Limit);
    }

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != BalanceAtDecoder.TemplateId) throw Unexpected(templateId, Kind);
        InboundFrame.CheckBlock(sbe, BalanceAtDecoder.BlockLength, "BalanceAt");
        if (!BalanceAtDecoder.TryWrapWithHeader(sbe, 0, out BalanceAtDecoder m)) throw new WalletProtocolException("BalanceAt header mismatch");
        byte status = m.Status;
        if (status > (byte)BalanceAtStatus.ViewBehind) throw new WalletProtocolException($"BalanceAt status {status} is not defined");
        Succeed(new BalanceAt((BalanceAtStatus)status, m.ViewIndex, m.ViewTimestampNs, m.ChangeIndex, m.ChangeTimestampNs,
            m.DebitsPending, m.DebitsPosted, m.CreditsPending, m.CreditsPosted));
    }
}
