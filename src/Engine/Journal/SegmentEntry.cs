namespace Wallet.Engine.Journal;

/// <summary>What the journal knows about one segment file without keeping it mapped.</summary>
internal sealed class SegmentEntry
{
    public required string Path { get; init; }
    public required long FirstIndex { get; init; }
    public required long SegmentSizeBytes { get; init; }

    /// <summary>Chain state at the segment start (from its header).</summary>
    public required ChainState StartState { get; init; }

    /// <summary>
    /// False for a sealed segment an open did not read (<see cref="JournalOpenValidation.LastSegment"/>): then
    /// <see cref="EndOffsetBytes"/> is the file's length (an upper bound) and <see cref="EndState"/> is what the next
    /// segment's header says it starts from, both unchecked until the segment is walked.
    /// </summary>
    public bool RecordsChecked { get; set; } = true;

    /// <summary>Offset just past the last valid record.</summary>
    public long EndOffsetBytes { get; set; }

    /// <summary>Chain state after the last valid record.</summary>
    public ChainState EndState { get; set; }
}
