namespace Wallet.Engine.Journal;

/// <summary>Result of validating every segment of a journal; stops at the first fault.</summary>
internal sealed class ScanResult
{
    /// <summary>All segment files found, sorted by first index (including ones after a fault).</summary>
    public required List<(long FirstIndex, string Path)> Files { get; init; }

    /// <summary>Segments whose header is valid, up to and including the faulty one.</summary>
    public List<SegmentEntry> Segments { get; } = new();

    public int SegmentsScanned { get; set; }
    public long RecordsScanned { get; set; }

    /// <summary>Segments in <see cref="Segments"/> whose records were not read (<see cref="JournalOpenValidation.LastSegment"/>).</summary>
    public int SegmentsNotRead { get; set; }
    public JournalFault? Fault { get; set; }
}
