using Wallet.Engine.ReadModel;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>Reads an account's whole history (or a time window of it) page by page, as a client would.</summary>
internal static class HistoryPages
{
    /// <summary>
    /// Every row, following <see cref="HistoryPage.NextCursor"/> until it ends; every page but the last must be full.
    /// </summary>
    public static List<HistoryRow> ReadAll(ReadModelStore store, UInt128 id, bool newestFirst, int pageSize, long from = 0, long to = long.MaxValue)
    {
        var all = new List<HistoryRow>();
        string? cursor = null;
        for (int guard = 0; guard < 10_000; guard++)
        {
            HistoryPage page = store.GetHistory(new HistoryQuery { AccountId = id, NewestFirst = newestFirst, Limit = pageSize, Cursor = cursor, FromTimestampNs = from, ToTimestampNs = to });
            all.AddRange(page.Rows);
            cursor = page.NextCursor;
            if (cursor is null) return all;
            Assert.Equal(pageSize, page.Rows.Count);
        }
        throw new InvalidOperationException("history paging did not end");
    }
}
