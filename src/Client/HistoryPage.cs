namespace Wallet.Client;

/// <summary>What an account history row records (wire values of <c>HistoryPage.rows.eventKind</c>).</summary>
public enum HistoryEventKind : ushort
{
    AccountCreated = 1,
    AccountClosed = 2,
    TransferPosted = 3,
    PendingCreated = 4,
    PendingPosted = 5,
    PendingVoided = 6,
    PendingExpired = 7,
}

/// <summary>Which side of the change the account was on.</summary>
public enum HistorySide : byte
{
    Account = 0,
    Debit = 1,
    Credit = 2,
}

/// <summary>One change of an account, with the account's balances after it (minor units).</summary>
public readonly record struct HistoryRow(
    long LogIndex,
    uint Ordinal,
    HistoryEventKind Kind,
    HistorySide Side,
    long CommandTimestampNs,
    long EventTimestampNs,
    UInt128 TransferId,
    UInt128 CounterpartyId,
    long Amount,
    long DebitsPending,
    long DebitsPosted,
    long CreditsPending,
    long CreditsPosted);

/// <summary>
/// One page of an account's history, from the read model (eventually consistent): <see cref="ViewIndex"/> is the last
/// log index the view contains. Pass <see cref="NextIndex"/>/<see cref="NextOrdinal"/> back for the next page;
/// <see cref="NextIndex"/> = 0 means this was the last one.
/// </summary>
public sealed record HistoryPage(long ViewIndex, long ViewTimestampNs, long NextIndex, uint NextOrdinal, HistoryRow[] Rows)
{
    public bool IsLast => NextIndex == 0;
}

/// <summary>Which page of history to read. Timestamps are command timestamps, inclusive; 0 = unbounded.</summary>
public readonly record struct HistoryQuery(
    long FromTimestampNs = 0,
    long ToTimestampNs = 0,
    long AfterIndex = 0,
    uint AfterOrdinal = 0,
    int MaxRows = 100,
    bool NewestFirst = true)
{
    public const int MaxRowsLimit = 1000;
}
