using System.Text;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests.Support;

/// <summary>One message received by the test client (SOFH stripped), with typed readers over the generated decoders.</summary>
public sealed record Frame(ushort TemplateId, byte[] Message)
{
    public (ulong CorrelationId, RejectReason Reason, ushort RefTemplateId, string Text) AsReject()
    {
        var d = RejectDecoder.WrapWithHeader(Message, 0);
        return (d.CorrelationId, d.Reason, d.RefTemplateId, d.GetText());
    }

    public (ulong CorrelationId, RejectReason Reason, string Text) AsLogonReject()
    {
        var d = LogonRejectDecoder.WrapWithHeader(Message, 0);
        return (d.CorrelationId, d.Reason, d.GetText());
    }

    public (ulong CorrelationId, ulong SessionId, uint HeartbeatIntervalMs, uint MaxInFlight, uint MaxFrameBytes, uint MaxBatchSize) AsLogonAck()
    {
        var d = LogonAckDecoder.WrapWithHeader(Message, 0);
        return (d.CorrelationId, d.SessionId, d.HeartbeatIntervalMs, d.MaxInFlight, d.MaxFrameBytes, d.MaxBatchSize);
    }

    public (ulong CorrelationId, uint RetryAfterMs) AsBusy()
    {
        var d = BusyDecoder.WrapWithHeader(Message, 0);
        return (d.CorrelationId, d.RetryAfterMs);
    }

    public (ulong CorrelationId, string Host, ushort Port, long Term) AsRedirect()
    {
        var d = RedirectDecoder.WrapWithHeader(Message, 0);
        ulong correlationId = d.CorrelationId;
        ushort port = d.LeaderPort;
        long term = d.Term;
        return (correlationId, Encoding.UTF8.GetString(d.GetLeaderHostBytes()), port, term);
    }

    public string AsLogout() => Encoding.UTF8.GetString(LogoutDecoder.WrapWithHeader(Message, 0).GetTextBytes());

    public CreateResultsView AsCreateResults()
    {
        var d = CreateResultsDecoder.WrapWithHeader(Message, 0);
        var codes = new List<(uint Index, uint Code)>();
        foreach (var r in d.Results()) codes.Add((r.ItemIndex, r.Code));
        return new CreateResultsView(d.CorrelationId, d.LogIndex, d.TimestampNs, codes);
    }

    public (ulong CorrelationId, List<AccountView> Accounts) AsAccountsFound()
    {
        var d = AccountsFoundDecoder.WrapWithHeader(Message, 0);
        var list = new List<AccountView>();
        foreach (var a in d.Accounts())
        {
            list.Add(new AccountView(new UInt128(a.Id.High, a.Id.Low), a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted, a.Ledger, a.TimestampNs));
        }
        return (d.CorrelationId, list);
    }

    public (ulong CorrelationId, List<TransferView> Transfers) AsTransfersFound()
    {
        var d = TransfersFoundDecoder.WrapWithHeader(Message, 0);
        var list = new List<TransferView>();
        foreach (var t in d.Transfers())
        {
            list.Add(new TransferView(new UInt128(t.Id.High, t.Id.Low), new UInt128(t.DebitAccountId.High, t.DebitAccountId.Low),
                new UInt128(t.CreditAccountId.High, t.CreditAccountId.Low), t.Amount, t.TimestampNs));
        }
        return (d.CorrelationId, list);
    }
}

public sealed record CreateResultsView(ulong CorrelationId, long LogIndex, long TimestampNs, List<(uint Index, uint Code)> Results);
public sealed record AccountView(UInt128 Id, long DebitsPending, long DebitsPosted, long CreditsPending, long CreditsPosted, uint Ledger, long TimestampNs);
public sealed record TransferView(UInt128 Id, UInt128 DebitAccountId, UInt128 CreditAccountId, long Amount, long TimestampNs);
public sealed record TransferSpec(UInt128 Id, UInt128 Debit, UInt128 Credit, long Amount, ushort Flags = 0, UInt128 PendingId = default, uint Ledger = 1, ushort Code = 1);
