namespace Wallet.Engine.Journal;

/// <summary>What <see cref="Journal.Open"/> found and changed while recovering.</summary>
public sealed class RecoveryReport
{
    public int SegmentsScanned { get; init; }
    public long RecordsScanned { get; init; }

    /// <summary>
    /// Sealed segments whose records the open did not read (<see cref="JournalOpenValidation.LastSegment"/>): their
    /// headers were checked, their records are checked by the readers that reach them. 0 with AllRecords.
    /// </summary>
    public int SegmentsNotRead { get; init; }

    /// <summary>A torn (incomplete) last record was found after a crash.</summary>
    public bool TornTailFound { get; init; }

    /// <summary>Repair mode cut the journal at a corrupt record, discarding everything after it.</summary>
    public bool RepairPerformed { get; init; }

    /// <summary>Bytes zeroed in the cut segment plus the sizes of segment files deleted. 0 for read-only opens.</summary>
    public long BytesTruncated { get; init; }

    public int SegmentsDeleted { get; init; }

    /// <summary>File and offset where the journal was (or, read-only, would be) cut; null when nothing was cut.</summary>
    public string? CutFilePath { get; init; }

    public long CutOffsetBytes { get; init; }

    /// <summary>First index that was discarded (the index the bad record should have had).</summary>
    public long? FirstDiscardedIndex { get; init; }

    public string? Reason { get; init; }
}
