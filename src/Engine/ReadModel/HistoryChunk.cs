using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Reads a stored history chunk (the value of an 'H' key): 1..<see cref="HistoryChunkBuilder.MaxRowsPerChunk"/>
/// <see cref="HistoryRow"/>s of one account, back to back, in ascending (log index, ordinal) order. Searches are
/// binary searches on that order, reading only the two key fields of the rows they visit.
/// </summary>
internal static class HistoryChunk
{
    private const int IndexOffset = 8;
    private const int OrdinalOffset = 72;

    /// <summary>Rows in <paramref name="value"/>; a value that is not a whole, non-empty number of rows is corrupt.</summary>
    public static int RowCount(ReadOnlySpan<byte> value)
    {
        if (value.Length == 0 || value.Length % HistoryRow.SizeBytes != 0 || value.Length / HistoryRow.SizeBytes > HistoryChunkBuilder.MaxRowsPerChunk)
            throw new InvalidDataException($"read model: a history chunk of {value.Length} bytes is not 1..{HistoryChunkBuilder.MaxRowsPerChunk} rows of {HistoryRow.SizeBytes}; rebuild the view");
        return value.Length / HistoryRow.SizeBytes;
    }

    public static HistoryRow Row(ReadOnlySpan<byte> value, int i) =>
        MemoryMarshal.Read<HistoryRow>(value.Slice(i * HistoryRow.SizeBytes, HistoryRow.SizeBytes));

    /// <summary>Position of the last row at or before (index, ordinal); -1 if every row is after it.</summary>
    public static int LastAtOrBefore(ReadOnlySpan<byte> value, long index, uint ordinal) =>
        CountAtOrBefore(value, index, ordinal) - 1;

    /// <summary>Position of the last row strictly before (index, ordinal); -1 if none.</summary>
    public static int LastBefore(ReadOnlySpan<byte> value, long index, uint ordinal) =>
        CountBefore(value, index, ordinal) - 1;

    /// <summary>Position of the first row strictly after (index, ordinal); the row count if none.</summary>
    public static int FirstAfter(ReadOnlySpan<byte> value, long index, uint ordinal) =>
        CountAtOrBefore(value, index, ordinal);

    /// <summary>Rows whose (index, ordinal) is at or before the given one (they form a prefix: rows are sorted).</summary>
    private static int CountAtOrBefore(ReadOnlySpan<byte> value, long index, uint ordinal)
    {
        int lo = 0, hi = RowCount(value); // answer in [lo, hi]
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(value, mid, index, ordinal) <= 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static int CountBefore(ReadOnlySpan<byte> value, long index, uint ordinal)
    {
        int lo = 0, hi = RowCount(value);
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(value, mid, index, ordinal) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Row <paramref name="i"/>'s (index, ordinal) compared with the given one.</summary>
    private static int Compare(ReadOnlySpan<byte> value, int i, long index, uint ordinal)
    {
        int at = i * HistoryRow.SizeBytes;
        long rowIndex = BinaryPrimitives.ReadInt64LittleEndian(value.Slice(at + IndexOffset, 8));
        if (rowIndex != index) return rowIndex < index ? -1 : 1;
        uint rowOrdinal = BinaryPrimitives.ReadUInt32LittleEndian(value.Slice(at + OrdinalOffset, 4));
        return rowOrdinal == ordinal ? 0 : rowOrdinal < ordinal ? -1 : 1;
    }
}
