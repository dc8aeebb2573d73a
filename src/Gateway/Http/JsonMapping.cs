using System.Globalization;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;

namespace Wallet.Gateway.Http;

/// <summary>Ledger structs → JSON shapes: amounts as decimal strings in the ledger's scale, ids as decimal strings.</summary>
public sealed class JsonMapping(LedgerCatalog catalog)
{
    public (string Symbol, byte Scale) CurrencyOf(uint ledger) =>
        catalog.TryGet(ledger, out LedgerDefinition? d) ? (d!.Symbol, d.Scale) : (ledger.ToString(CultureInfo.InvariantCulture), (byte)0);

    public AccountJson Account(in Account a, SourceJson source)
    {
        (string symbol, byte scale) = CurrencyOf(a.Ledger);
        return new AccountJson(IdText.Format(a.Id), symbol, a.Ledger, a.Code, AccountFlagNames(a.Flags), IdText.Format(a.UserData128), a.UserData64, a.UserData32,
            a.Timestamp, Balances(AccountBalances.Of(a), scale), source);
    }

    public TransferJson Transfer(in Transfer t, SourceJson source, TransferView? view = null)
    {
        (string symbol, byte scale) = CurrencyOf(t.Ledger);
        return new TransferJson(IdText.Format(t.Id), IdText.Format(t.DebitAccountId), IdText.Format(t.CreditAccountId), AmountText.Format(t.Amount, scale),
            symbol, t.Ledger, t.Code, TransferFlagNames(t.Flags), t.PendingId == UInt128.Zero ? null : IdText.Format(t.PendingId), t.TimeoutSeconds,
            IdText.Format(t.UserData128), t.Timestamp,
            view is { } v ? StatusName(v.Status) : null, view?.Index, view is { ResolvedIndex: > 0 } r ? r.ResolvedIndex : null,
            view is { } w && w.ResolvedBy != UInt128.Zero ? IdText.Format(w.ResolvedBy) : null, source);
    }

    public HistoryRowJson HistoryRow(in HistoryRow row, byte scale) => new(
        row.Index, row.Ordinal, row.CommandTimestamp, Time(row.CommandTimestamp), row.EventTimestamp, EventName(row.Kind),
        row.Side.ToString().ToLowerInvariant(),
        row.TransferId == UInt128.Zero ? null : IdText.Format(row.TransferId),
        row.CounterpartyId == UInt128.Zero ? null : IdText.Format(row.CounterpartyId),
        AmountText.Format(row.Amount, scale), Balances(row.After, scale));

    public static BalancesJson Balances(in AccountBalances b, byte scale) => new(
        AmountText.Format(b.DebitsPending, scale), AmountText.Format(b.DebitsPosted, scale),
        AmountText.Format(b.CreditsPending, scale), AmountText.Format(b.CreditsPosted, scale),
        // Both posted totals are non-negative longs, so their difference always fits.
        AmountText.Format(b.CreditsPosted - b.DebitsPosted, scale));

    public static SourceJson Exact(long index, long timestamp) => new("exact", index, timestamp);
    public static SourceJson View(ViewPosition p) => new("view", p.Index, p.TimestampNs);

    /// <summary>RFC 3339 UTC with 100 ns precision (the integer timestamp fields carry full nanoseconds).</summary>
    public static string Time(long ns) =>
        new DateTime(DateTime.UnixEpoch.Ticks + ns / 100, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static string StatusName(TransferStatus s) => s switch
    {
        TransferStatus.Posted => "posted",
        TransferStatus.Pending => "pending",
        TransferStatus.PendingPosted => "pending_posted",
        TransferStatus.PendingVoided => "pending_voided",
        TransferStatus.PendingExpired => "pending_expired",
        _ => "unknown",
    };

    public static string EventName(LedgerEventKind k) => k switch
    {
        LedgerEventKind.AccountCreated => "account_created",
        LedgerEventKind.AccountClosed => "account_closed",
        LedgerEventKind.TransferPosted => "transfer_posted",
        LedgerEventKind.PendingCreated => "pending_created",
        LedgerEventKind.PendingPosted => "pending_posted",
        LedgerEventKind.PendingVoided => "pending_voided",
        LedgerEventKind.PendingExpired => "pending_expired",
        _ => "unknown",
    };

    public static readonly (AccountFlags Flag, string Name)[] AccountFlagTable =
    [
        (AccountFlags.DebitsMustNotExceedCredits, "debits_must_not_exceed_credits"),
        (AccountFlags.CreditsMustNotExceedDebits, "credits_must_not_exceed_debits"),
        (AccountFlags.History, "history"),
        (AccountFlags.Closed, "closed"),
    ];

    public static List<string> AccountFlagNames(AccountFlags flags)
    {
        var names = new List<string>();
        foreach ((AccountFlags flag, string name) in AccountFlagTable)
        {
            if ((flags & flag) != 0) names.Add(name);
        }
        return names;
    }

    public static List<string> TransferFlagNames(TransferFlags flags)
    {
        var names = new List<string>();
        if ((flags & TransferFlags.Linked) != 0) names.Add("linked");
        if ((flags & TransferFlags.Pending) != 0) names.Add("pending");
        if ((flags & TransferFlags.PostPendingTransfer) != 0) names.Add("post_pending_transfer");
        if ((flags & TransferFlags.VoidPendingTransfer) != 0) names.Add("void_pending_transfer");
        return names;
    }
}
