namespace Wallet.Engine.Journal;

/// <summary>Outcome of <see cref="Journal.Verify"/>: Ok, or the first bad record/byte with file, offset, index and reason.</summary>
public sealed class JournalVerifyResult
{
    /// <summary>True when every segment and record is valid and nothing follows the last record.</summary>
    public bool Ok { get; init; }

    public int SegmentsScanned { get; init; }

    /// <summary>Valid records before the first problem (all records when Ok).</summary>
    public long RecordCount { get; init; }

    /// <summary>First index held (0 when there are no segments).</summary>
    public long FirstIndex { get; init; }

    /// <summary>Last valid index before the first problem (FirstIndex - 1 when there are no valid records).</summary>
    public long LastIndex { get; init; }

    public uint LastChecksum { get; init; }

    /// <summary>The problem is an incomplete last record (what Open would cut) rather than corruption.</summary>
    public bool IsTornTail { get; init; }

    public string? FilePath { get; init; }
    public long Offset { get; init; }
    public long? Index { get; init; }
    public string? Reason { get; init; }
}
