namespace Wallet.Engine.ReadModel;

/// <summary>
/// Reads a stored history chunk (an 'H' key and its value): 1..<see cref="HistoryChunkBuilder.MaxRowsPerChunk"/>
/// rows of one account in ascending (log index, ordinal) order, each encoded against the one before it
/// (<see cref="HistoryRowCodec"/>; the first against the key). A chunk is decoded whole into a caller's buffer of
/// <see cref="HistoryChunkBuilder.MaxRowsPerChunk"/> rows — at most 256 rows, a few microseconds — and searched there
/// by binary search on that order.
/// </summary>
internal static class HistoryChunk
{
    /// <summary>
    /// Decodes the chunk stored under <paramref name="key"/> into <paramref name="rows"/>; returns the row count.
    /// A key that is not a history key, an empty value, more rows than a chunk holds or any corrupt row throws
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, Span<HistoryRow> rows)
    {
        if (key.Length != ReadModelKeys.HistoryKeyBytes || key[0] != ReadModelKeys.History)
            throw new InvalidDataException($"read model: a history chunk under a key of {key.Length} bytes that is not a history key; rebuild the view");
        if (value.IsEmpty)
            throw new InvalidDataException("read model: an empty history chunk; rebuild the view");
        if (rows.Length < HistoryChunkBuilder.MaxRowsPerChunk)
            throw new ArgumentException($"the row buffer must hold {HistoryChunkBuilder.MaxRowsPerChunk} rows", nameof(rows));
        var state = HistoryRowCodec.State.ForChunk(ReadModelKeys.HistoryIndex(key), ReadModelKeys.HistoryOrdinal(key));
        int count = 0;
        int at = 0;
        while (at < value.Length)
        {
            if (count == HistoryChunkBuilder.MaxRowsPerChunk)
                throw new InvalidDataException($"read model: a history chunk of more than {HistoryChunkBuilder.MaxRowsPerChunk} rows; rebuild the view");
            at += HistoryRowCodec.Decode(ref state, value[at..], out rows[count]);
            count++;
        }
        return count;
    }

    /// <summary>Position of the last row at or before (index, ordinal); -1 if every row is after it.</summary>
    public static int LastAtOrBefore(ReadOnlySpan<HistoryRow> rows, long index, uint ordinal) =>
        CountAtOrBefore(rows, index, ordinal) - 1;

    /// <summary>Position of the last row strictly before (index, ordinal); -1 if none.</summary>
    public static int LastBefore(ReadOnlySpan<HistoryRow> rows, long index, uint ordinal) =>
        CountBefore(rows, index, ordinal) - 1;

    /// <summary>Position of the first row strictly after (index, ordinal); the row count if none.</summary>
    public static int FirstAfter(ReadOnlySpan<HistoryRow> rows, long index, uint ordinal) =>
        CountAtOrBefore(rows, index, ordinal);

    /// <summary>Rows whose (index, ordinal) is at or before the given one (they form a prefix: rows are sorted).</summary>
    private static int CountAtOrBefore(ReadOnlySpan<HistoryRow> rows, long index, uint ordinal)
    {
        int lo = 0, hi = rows.Length; // answer in [lo, hi]
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(in rows[mid], index, ordinal) <= 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static int CountBefore(ReadOnlySpan<HistoryRow> rows, long index, uint ordinal)
    {
        int lo = 0, hi = rows.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(in rows[mid], index, ordinal) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>The row's (index, ordinal) compared with the given one.</summary>
    private static int Compare(in HistoryRow row, long index, uint ordinal)
    {
        if (row.Index != index) return row.Index < index ? -1 : 1;
        return row.Ordinal == ordinal ? 0 : row.Ordinal < ordinal ? -1 : 1;
    }
}
