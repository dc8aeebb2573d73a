namespace Wallet.Replication;

/// <summary>
/// The replicated log as <see cref="RaftNode"/> sees it: indexes are contiguous from <see cref="FirstIndex"/> to
/// <see cref="LastIndex"/>; appends may be volatile until <see cref="Flush"/> makes them durable. Used on one thread
/// (the node's driver). Implementations: <see cref="JournalRaftLog"/> (production, over the engine journal) and the
/// simulator's in-memory disk.
/// </summary>
public interface IRaftLog
{
    /// <summary>Oldest index still held (1 for a log that was never compacted).</summary>
    long FirstIndex { get; }

    /// <summary>Newest index appended (FirstIndex - 1 when empty).</summary>
    long LastIndex { get; }

    /// <summary>Term of <see cref="LastIndex"/> (for an empty log: the term at FirstIndex - 1, 0 for a log that was never compacted).</summary>
    long LastTerm { get; }

    /// <summary>Timestamp of the newest entry (0 for an empty log); a sequencer stamps later commands after it.</summary>
    long LastTimestampNs { get; }

    /// <summary>Highest index that survives a crash (per the fsync policy); never above <see cref="LastIndex"/>.</summary>
    long DurableIndex { get; }

    /// <summary>
    /// Term of the entry at <paramref name="index"/> for FirstIndex - 1 ≤ index ≤ LastIndex (0 for index 0);
    /// -1 when the term is not known (an index before the retained log).
    /// </summary>
    long TermAt(long index);

    /// <summary>Appends one entry at <paramref name="index"/> = LastIndex + 1. Timestamps must not decrease.</summary>
    void Append(ushort type, long index, long term, long timestampNs, ReadOnlySpan<byte> payload);

    /// <summary>Discards every entry after <paramref name="index"/> (a conflicting suffix). DurableIndex drops to at most index.</summary>
    void TruncateAfter(long index);

    /// <summary>
    /// Snapshot installation: discards every entry and restarts the log empty after <paramref name="index"/>, whose term
    /// and timestamp it remembers (FirstIndex = index + 1, LastIndex = index, TermAt(index) = term, LastTerm = term,
    /// LastTimestampNs = timestampNs). Durable when it returns (DurableIndex = index).
    /// </summary>
    void ResetAfterSnapshot(long index, long term, long timestampNs);

    /// <summary>Makes appended entries durable per the fsync policy; returns the new <see cref="DurableIndex"/>.</summary>
    long Flush();

    /// <summary>
    /// Reads the entry at <paramref name="index"/> (FirstIndex..LastIndex) through <paramref name="cursor"/>, a small
    /// caller-chosen stream number in [0, <see cref="MaxCursors"/>): successive reads of increasing indexes on one
    /// cursor are sequential (cheap); a jump repositions it. False when the index is not held.
    /// </summary>
    bool TryRead(int cursor, long index, out RaftLogEntry entry);

    /// <summary>Number of independent read cursors (the node uses one per peer; drivers use higher numbers for apply).</summary>
    int MaxCursors { get; }
}
