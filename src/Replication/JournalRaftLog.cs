using Wallet.Engine.Journal;

namespace Wallet.Replication;

/// <summary>
/// <see cref="IRaftLog"/> over the engine's <see cref="Journal"/> (production). Each Raft entry is one journal record
/// (type, index, term, timestamp, payload), so the replicated log is the journal itself, CRC-checked and
/// hash-chained. Durability follows the journal's <see cref="FsyncPolicy"/>: under Always every append is durable,
/// under Batch <see cref="Flush"/> syncs, under None the position counts as durable once flushed (it survives a
/// process crash, not a power loss; see docs/ARCHITECTURE.md §3, "Durability").
/// <para>
/// Terms are cached as runs (first index of each term), built at construction from the segment headers plus a read of
/// the segments where the term changes (<see cref="LoadTermRuns"/>), and kept up to date on append/truncate, so
/// <see cref="TermAt"/> is a binary search over a few runs, not a disk read.
/// Not thread-safe: the node's driver thread owns it (and the journal's writer side).
/// </para>
/// </summary>
public sealed class JournalRaftLog : IRaftLog, IDisposable
{
    private readonly Journal _journal;
    private readonly JournalReader?[] _readers;
    private readonly List<TermRun> _runs = new();
    private long _durableIndex;

    /// <param name="journal">An open, writable journal; its records are this log's entries.</param>
    /// <param name="maxCursors">Independent read cursors (one per member for streaming, plus any the driver needs for apply).</param>
    public JournalRaftLog(Journal journal, int maxCursors = 8)
    {
        ArgumentNullException.ThrowIfNull(journal);
        if (journal.IsReadOnly) throw new ArgumentException("The journal is read-only.", nameof(journal));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCursors, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCursors, 64);
        _journal = journal;
        _readers = new JournalReader?[maxCursors];
        if (journal.LastIndex >= journal.FirstIndex) LoadTermRuns(journal);

        // What recovery found on disk survived a crash; treat it as durable.
        _durableIndex = journal.LastIndex;
    }

    public long FirstIndex => _journal.FirstIndex;

    public long LastIndex => _journal.LastIndex;

    public long LastTerm => _journal.LastIndex >= _journal.FirstIndex ? _journal.LastTerm : _journal.TermBeforeFirst;

    public long LastTimestampNs => _journal.LastTimestamp;

    public long DurableIndex => _durableIndex;

    public int MaxCursors => _readers.Length;

    /// <summary>The underlying journal (for the driver's apply side and retention).</summary>
    public Journal Journal => _journal;

    public long TermAt(long index)
    {
        var first = _journal.FirstIndex;
        if (index == first - 1) return _journal.TermBeforeFirst; // the compaction boundary (0 at genesis)
        if (index < first || index > _journal.LastIndex) return -1;
        int lo = 0, hi = _runs.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_runs[mid].FirstIndex <= index) lo = mid;
            else hi = mid - 1;
        }

        return _runs.Count == 0 || _runs[lo].FirstIndex > index ? -1 : _runs[lo].Term;
    }

    public void Append(ushort type, long index, long term, long timestampNs, ReadOnlySpan<byte> payload)
    {
        _journal.Append(type, index, term, timestampNs, payload);
        NoteTerm(index, term);
        if (_journal.Options.Fsync == FsyncPolicy.Always) _durableIndex = index;
    }

    public void TruncateAfter(long index)
    {
        for (var i = 0; i < _readers.Length; i++)
        {
            _readers[i]?.Dispose();
            _readers[i] = null;
        }

        _journal.TruncateAfter(index);
        while (_runs.Count > 0 && _runs[^1].FirstIndex > index) _runs.RemoveAt(_runs.Count - 1);
        if (_durableIndex > index) _durableIndex = index;
    }

    public void ResetAfterSnapshot(long index, long term, long timestampNs)
    {
        DisposeReaders();
        _journal.ResetAfter(index, term, timestampNs);
        _runs.Clear();
        _durableIndex = index;
    }

    /// <summary>
    /// Retention under consensus: deletes whole journal segments whose records are all below <paramref name="index"/>
    /// (never the last one). The term at the new boundary stays known (segment header), so AppendEntries consistency
    /// checks at FirstIndex - 1 still work. Returns the segments deleted.
    /// </summary>
    public int CompactBefore(long index)
    {
        var deleted = _journal.DeleteSegmentsBefore(Math.Min(index, _durableIndex + 1));
        if (deleted == 0) return 0;
        var first = _journal.FirstIndex;
        var drop = 0;
        while (drop + 1 < _runs.Count && _runs[drop + 1].FirstIndex <= first) drop++;
        if (drop > 0) _runs.RemoveRange(0, drop);
        return deleted;
    }

    public long Flush()
    {
        _journal.Flush();
        _durableIndex = _journal.LastIndex;
        return _durableIndex;
    }

    public bool TryRead(int cursor, long index, out RaftLogEntry entry)
    {
        entry = default;
        if ((uint)cursor >= (uint)_readers.Length || index < _journal.FirstIndex || index > _journal.LastIndex) return false;
        var reader = _readers[cursor];
        if (reader is null || reader.NextIndex != index)
        {
            reader?.Dispose();
            reader = _journal.OpenReader(index);
            _readers[cursor] = reader;
        }

        if (!reader.TryRead(out var record)) return false;
        entry = new RaftLogEntry(record.Index, record.Term, record.Type, record.Timestamp, record.Payload);
        return true;
    }

    public void Dispose() => DisposeReaders();

    private void DisposeReaders()
    {
        for (var i = 0; i < _readers.Length; i++)
        {
            _readers[i]?.Dispose();
            _readers[i] = null;
        }
    }

    /// <summary>
    /// Builds the term runs from segment headers, reading only segments where the term changes. A Raft log's terms never
    /// decrease, and each segment header records the term of the record before it, so a segment whose start term (its
    /// header's) equals its end term (the next header's, or the journal's last term) holds that term throughout and need
    /// not be read. Elections are rare: a restart reads one or two segments here, not the whole log.
    /// </summary>
    private void LoadTermRuns(Journal journal)
    {
        var starts = new List<(long FirstIndex, long PrevTerm)>();
        journal.CopySegmentStarts(starts);
        long lastIndex = journal.LastIndex;
        for (int i = 0; i < starts.Count; i++)
        {
            long first = Math.Max(starts[i].FirstIndex, journal.FirstIndex);
            long last = i + 1 < starts.Count ? starts[i + 1].FirstIndex - 1 : lastIndex;
            if (first > last) continue; // an empty segment (the last one, just rolled or reset)
            long startTerm = starts[i].PrevTerm;
            long endTerm = i + 1 < starts.Count ? starts[i + 1].PrevTerm : journal.LastTerm;
            if (startTerm == endTerm)
            {
                NoteTerm(first, startTerm);
                continue;
            }

            using JournalReader reader = journal.OpenReader(first);
            while (reader.TryRead(last, out JournalRecord record))
            {
                if (_runs.Count > 0 && record.Term < _runs[^1].Term)
                    throw new JournalCorruptException(journal.FindSegment(record.Index)?.Path ?? journal.Options.Directory, record.OffsetBytes, record.Index,
                        $"term {record.Term} at index {record.Index} is lower than term {_runs[^1].Term} before it: a Raft log's terms never decrease");
                NoteTerm(record.Index, record.Term);
            }
        }
    }

    private void NoteTerm(long index, long term)
    {
        if (_runs.Count == 0 || _runs[^1].Term != term) _runs.Add(new TermRun(index, term));
    }

    private readonly record struct TermRun(long FirstIndex, long Term);
}
