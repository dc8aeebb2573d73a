namespace Wallet.Engine.Journal;

/// <summary>What the journal knows about one segment file without keeping it mapped.</summary>
internal sealed class SegmentEntry
{
    public required string Path { get; init; }
    public required long FirstIndex { get; init; }
    public required long SegmentSizeBytes { get; init; }

    /// <summary>Chain state at the segment start (from its header).</summary>
    public required ChainState StartState { get; init; }

    /// <summary>Offset just past the last valid record.</summary>
    public long EndOffsetBytes { get; set; }

    /// <summary>Chain state after the last valid record.</summary>
    public ChainState EndState { get; set; }
}
