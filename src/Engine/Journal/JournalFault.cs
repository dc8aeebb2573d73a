namespace Wallet.Engine.Journal;

internal enum JournalFaultKind
{
    /// <summary>An incomplete last record in the last segment, followed only by zeros: a crash artefact.</summary>
    TornTail = 1,

    /// <summary>Anything else: bad bytes before the tail, a bad segment header, a broken chain.</summary>
    Corrupt = 2,
}

/// <summary>The first problem a scan found, and where the valid journal ends because of it.</summary>
internal sealed class JournalFault
{
    public required JournalFaultKind Kind { get; init; }
    public required string FilePath { get; init; }

    /// <summary>Offset reported to the operator: the bad record's start or the first bad byte.</summary>
    public required long OffsetBytes { get; init; }

    public required long? Index { get; init; }
    public required string Reason { get; init; }

    /// <summary>Position of the faulty segment in the sorted segment list.</summary>
    public required int SegmentOrdinal { get; init; }

    /// <summary>Where valid data in that segment ends; 0 means the whole segment (even its header) is invalid.</summary>
    public required long CutOffsetBytes { get; init; }

    public JournalCorruptException ToException() => new(FilePath, OffsetBytes, Index, Reason);
}
