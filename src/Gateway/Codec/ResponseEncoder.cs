using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Codec;

/// <summary>
/// Encodes every message the gateway sends, SOFH header included, straight into the session's outbound buffer.
/// Each method returns the bytes written; callers reserve <c>SizeOf…</c> bytes first. No allocation.
/// </summary>
internal static class ResponseEncoder
{
    private const int Prefix = Sofh.HeaderLength + ProtocolSchema.MessageHeaderLength;
    /// <summary>Room for any control message (Logout/Reject/LogonReject with a text up to this long).</summary>
    public const int MaxTextBytes = 256;
    public const int MaxControlBytes = Prefix + 16 + 2 + MaxTextBytes;

    public static int MaxResponseBytes(int maxBatchSize)
    {
        int results = Prefix + CreateResultsEncoder.BlockLength + 4 + (maxBatchSize + 1) * CreateResultsEncoder.ResultsEncoder.BlockLength;
        int accounts = Prefix + AccountsFoundEncoder.BlockLength + 4 + maxBatchSize * AccountsFoundEncoder.AccountsEncoder.BlockLength;
        int transfers = Prefix + TransfersFoundEncoder.BlockLength + 4 + maxBatchSize * TransfersFoundEncoder.TransfersEncoder.BlockLength;
        return Math.Max(Math.Max(results, accounts), Math.Max(transfers, MaxControlBytes));
    }

    /// <summary>Exact size of the response for a partition result.</summary>
    public static int SizeOf(in ResultSlot result) => result.Kind switch
    {
        QueryKind.LookupAccounts => Prefix + AccountsFoundEncoder.BlockLength + 4 + result.PayloadLength / Account.SizeBytes * AccountsFoundEncoder.AccountsEncoder.BlockLength,
        QueryKind.LookupTransfers => Prefix + TransfersFoundEncoder.BlockLength + 4 + result.PayloadLength / Transfer.SizeBytes * TransfersFoundEncoder.TransfersEncoder.BlockLength,
        _ => Prefix + CreateResultsEncoder.BlockLength + 4 + result.ResultCount * CreateResultsEncoder.ResultsEncoder.BlockLength,
    };

    /// <summary>
    /// Encodes the response to a partition result. <paramref name="visibleTo"/> (null = everything) limits
    /// TransfersFound to transfers touching an account the user is granted; <see cref="SizeOf"/> stays an upper bound.
    /// </summary>
    public static int Result(Span<byte> dest, in ResultSlot result, UserPrincipal? visibleTo)
    {
        switch (result.Kind)
        {
            case QueryKind.LookupAccounts: return AccountsFound(dest, result);
            case QueryKind.LookupTransfers: return TransfersFound(dest, result, visibleTo);
            default: return CreateResults(dest, result);
        }
    }

    private static int CreateResults(Span<byte> dest, in ResultSlot result)
    {
        var e = CreateResultsEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = (ulong)result.CorrelationId;
        e.LogIndex = result.Index;
        e.TimestampNs = result.Timestamp;
        ReadOnlySpan<CreateResult> results = result.ResultSpan;
        var g = e.ResultsCount(results.Length);
        for (int i = 0; i < results.Length; i++)
        {
            g.Next();
            g.ItemIndex = (uint)results[i].Index;
            g.Code = (uint)results[i].Code;
        }
        return Frame(dest, e.Limit);
    }

    private static int AccountsFound(Span<byte> dest, in ResultSlot result)
    {
        var e = AccountsFoundEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = (ulong)result.CorrelationId;
        e.LogIndex = result.Index;
        ReadOnlySpan<Account> accounts = MemoryMarshal.Cast<byte, Account>(result.PayloadSpan);
        var g = e.AccountsCount(accounts.Length);
        for (int i = 0; i < accounts.Length; i++)
        {
            ref readonly Account a = ref accounts[i];
            g.Next();
            Put(g.Id, a.Id);
            Put(g.UserData128, a.UserData128);
            g.DebitsPending = a.DebitsPending;
            g.DebitsPosted = a.DebitsPosted;
            g.CreditsPending = a.CreditsPending;
            g.CreditsPosted = a.CreditsPosted;
            g.UserData64 = a.UserData64;
            g.TimestampNs = a.Timestamp;
            g.UserData32 = a.UserData32;
            g.Ledger = a.Ledger;
            g.Code = a.Code;
            g.Flags = (ushort)a.Flags;
        }
        return Frame(dest, e.Limit);
    }

    private static int TransfersFound(Span<byte> dest, in ResultSlot result, UserPrincipal? visibleTo)
    {
        var e = TransfersFoundEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = (ulong)result.CorrelationId;
        e.LogIndex = result.Index;
        ReadOnlySpan<Transfer> transfers = MemoryMarshal.Cast<byte, Transfer>(result.PayloadSpan);
        int visible = 0;
        for (int i = 0; i < transfers.Length; i++)
        {
            if (IsVisible(transfers[i], visibleTo)) visible++;
        }
        var g = e.TransfersCount(visible);
        for (int i = 0; i < transfers.Length; i++)
        {
            ref readonly Transfer t = ref transfers[i];
            if (!IsVisible(t, visibleTo)) continue;
            g.Next();
            Put(g.Id, t.Id);
            Put(g.DebitAccountId, t.DebitAccountId);
            Put(g.CreditAccountId, t.CreditAccountId);
            g.Amount = t.Amount;
            Put(g.PendingId, t.PendingId);
            Put(g.UserData128, t.UserData128);
            g.UserData64 = t.UserData64;
            g.TimestampNs = t.Timestamp;
            g.UserData32 = t.UserData32;
            g.TimeoutSeconds = t.TimeoutSeconds;
            g.Ledger = t.Ledger;
            g.Code = t.Code;
            g.Flags = (ushort)t.Flags;
        }
        return Frame(dest, e.Limit);
    }

    public static int SizeOfHistoryPage(int rows) => Prefix + HistoryPageEncoder.BlockLength + 4 + rows * HistoryPageEncoder.RowsEncoder.BlockLength;

    public const int SizeOfBalanceAt = Prefix + BalanceAtEncoder.BlockLength;

    public static int HistoryPage(Span<byte> dest, ulong correlationId, Engine.ReadModel.HistoryPage page)
    {
        var e = HistoryPageEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = correlationId;
        e.ViewIndex = page.View.Index;
        e.ViewTimestampNs = page.View.TimestampNs;
        long nextIndex = 0;
        uint nextOrdinal = 0;
        if (page.NextCursor is not null && page.Rows.Count > 0)
        {
            nextIndex = page.Rows[^1].Index;
            nextOrdinal = page.Rows[^1].Ordinal;
        }
        e.NextIndex = nextIndex;
        e.NextOrdinal = nextOrdinal;
        var g = e.RowsCount(page.Rows.Count);
        foreach (Engine.ReadModel.HistoryRow r in page.Rows)
        {
            g.Next();
            g.LogIndex = r.Index;
            g.Ordinal = r.Ordinal;
            g.EventKind = (ushort)r.Kind;
            g.Side = (byte)r.Side;
            g.CommandTimestampNs = r.CommandTimestamp;
            g.EventTimestampNs = r.EventTimestamp;
            Put(g.TransferId, r.TransferId);
            Put(g.CounterpartyId, r.CounterpartyId);
            g.Amount = r.Amount;
            g.DebitsPending = r.After.DebitsPending;
            g.DebitsPosted = r.After.DebitsPosted;
            g.CreditsPending = r.After.CreditsPending;
            g.CreditsPosted = r.After.CreditsPosted;
        }
        return Frame(dest, e.Limit);
    }

    public static int BalanceAt(Span<byte> dest, ulong correlationId, Engine.ReadModel.BalanceAt answer)
    {
        var e = BalanceAtEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = correlationId;
        e.Status = answer.Status switch
        {
            Engine.ReadModel.BalanceAtStatus.Found => 0,
            Engine.ReadModel.BalanceAtStatus.NotFound => 1,
            _ => 2,
        };
        e.ViewIndex = answer.View.Index;
        e.ViewTimestampNs = answer.View.TimestampNs;
        e.ChangeIndex = answer.ChangeIndex;
        e.ChangeTimestampNs = answer.ChangeTimestampNs;
        e.DebitsPending = answer.Balances.DebitsPending;
        e.DebitsPosted = answer.Balances.DebitsPosted;
        e.CreditsPending = answer.Balances.CreditsPending;
        e.CreditsPosted = answer.Balances.CreditsPosted;
        return Frame(dest, e.Limit);
    }

    public static int LogonAck(Span<byte> dest, ulong correlationId, long sessionId, int heartbeatIntervalMs, int maxInFlight, int maxFrameBytes, int maxBatchSize)
    {
        var e = LogonAckEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = correlationId;
        e.SessionId = (ulong)sessionId;
        e.HeartbeatIntervalMs = (uint)heartbeatIntervalMs;
        e.MaxInFlight = (uint)maxInFlight;
        e.MaxFrameBytes = (uint)maxFrameBytes;
        e.MaxBatchSize = (uint)maxBatchSize;
        return Frame(dest, e.Limit);
    }

    public static int LogonReject(Span<byte> dest, ulong correlationId, RejectReason reason, ReadOnlySpan<byte> text)
    {
        var e = LogonRejectEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = correlationId;
        e.Reason = reason;
        e.PutText(Clip(text));
        return Frame(dest, e.Limit);
    }

    public static int Reject(Span<byte> dest, ulong correlationId, RejectReason reason, ushort refTemplateId, ReadOnlySpan<byte> text)
    {
        var e = RejectEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = correlationId;
        e.Reason = reason;
        e.RefTemplateId = refTemplateId;
        e.PutText(Clip(text));
        return Frame(dest, e.Limit);
    }

    public static int Busy(Span<byte> dest, ulong correlationId, int retryAfterMs)
    {
        var e = BusyEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = correlationId;
        e.RetryAfterMs = (uint)retryAfterMs;
        return Frame(dest, e.Limit);
    }

    /// <summary>Redirect to the leader; <paramref name="host"/> is at most <see cref="MaxTextBytes"/> bytes of ASCII.</summary>
    public static int Redirect(Span<byte> dest, ulong correlationId, string host, int port, long term)
    {
        var e = RedirectEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.CorrelationId = correlationId;
        e.LeaderPort = (ushort)port;
        e.Term = term;
        e.PutLeaderHost(host);
        return Frame(dest, e.Limit);
    }

    public static int Heartbeat(Span<byte> dest, long timestampNs)
    {
        var e = HeartbeatEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.TimestampNs = timestampNs;
        return Frame(dest, e.Limit);
    }

    public static int Logout(Span<byte> dest, ReadOnlySpan<byte> text)
    {
        var e = LogoutEncoder.WrapAndApplyHeader(dest, Sofh.HeaderLength);
        e.PutText(Clip(text));
        return Frame(dest, e.Limit);
    }

    /// <summary>A client sees a transfer only when it debits or credits an account in its grant.</summary>
    private static bool IsVisible(in Transfer t, UserPrincipal? user) =>
        user is null || user.MayDebit(t.DebitAccountId) || user.MayDebit(t.CreditAccountId);

    private static ReadOnlySpan<byte> Clip(ReadOnlySpan<byte> text) => text.Length > MaxTextBytes ? text[..MaxTextBytes] : text;

    private static void Put(Id128Encoder e, UInt128 value)
    {
        e.Low = (ulong)value;
        e.High = (ulong)(value >> 64);
    }

    private static int Frame(Span<byte> dest, int limit)
    {
        Sofh.Write(dest, limit);
        return limit;
    }
}
