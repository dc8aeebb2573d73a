namespace Wallet.Engine.ReadModel;

/// <summary>
/// A page request over one account's history. Times are command timestamps (ns since the Unix epoch), inclusive.
/// The cursor is opaque to callers: pass <see cref="HistoryPage.NextCursor"/> back to continue.
/// </summary>
public sealed record HistoryQuery
{
    public const int MaxLimit = 1000;

    public required UInt128 AccountId { get; init; }
    public long FromTimestampNs { get; init; }
    public long ToTimestampNs { get; init; } = long.MaxValue;
    public bool NewestFirst { get; init; }
    public int Limit { get; init; } = 100;
    public string? Cursor { get; init; }
}

/// <summary>One page of history, in the requested order; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record HistoryPage(IReadOnlyList<HistoryRow> Rows, string? NextCursor, ViewPosition View);
