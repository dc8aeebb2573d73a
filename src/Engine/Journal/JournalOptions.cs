namespace Wallet.Engine.Journal;

/// <summary>Configuration of one journal (one file prefix inside one directory).</summary>
public sealed class JournalOptions
{
    public const long MinSegmentSizeBytes = 64L * 1024;
    public const long MaxSegmentSizeBytes = 1L << 30;
    public const long DefaultSegmentSizeBytes = 64L * 1024 * 1024;
    public const int DefaultMaxRecordBytes = 4 * 1024 * 1024;
    public const int MaxFilePrefixLength = 64;

    /// <summary>Directory holding the segment files; created on writable open.</summary>
    public string Directory { get; init; } = string.Empty;

    /// <summary>
    /// Size of every new segment file (preallocated). Existing segments keep the size recorded in
    /// their own header, so this may change between runs.
    /// </summary>
    public long SegmentSizeBytes { get; init; } = DefaultSegmentSizeBytes;

    /// <summary>Largest payload accepted by Append; the padded record must fit an empty segment.</summary>
    public int MaxRecordBytes { get; init; } = DefaultMaxRecordBytes;

    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Batch;

    // 16 MiB: at 100k commands/s (~20 MB/s) close to a second ahead, at 1M/s tens of ms, while the prefaulter
    // populates several hundred MB/s. Populated inline by the writer (before §15) it bought nothing; on its own
    // thread it removes the writer's 18-24 ms read-ahead stalls (docs/BENCHMARKS.md §15).
    public const long DefaultPrefaultAheadBytes = 16L << 20;

    /// <summary>
    /// How far ahead of the write offset the active segment's pages are kept populated by a background thread
    /// (<see cref="SegmentPrefaulter"/>, MADV_POPULATE_WRITE on Linux >= 5.14, 64 KiB per call); 0 turns it off.
    /// A performance knob only: it never changes file contents or recovery.
    /// </summary>
    public long PrefaultAheadBytes { get; init; } = DefaultPrefaultAheadBytes;

    // 64 KiB: at and above it one write call costs less than the page faults it saves, even when the prefaulter keeps
    // up; below it a record shares its pages with its neighbours and the mapping wins (docs/BENCHMARKS.md §23).
    public const int DefaultStagedWriteMinRecordBytes = 64 * 1024;

    /// <summary>
    /// Records whose reservation is at least this many bytes (header and padding included) are built in a private
    /// buffer and written to the segment file with one <c>pwrite</c> at commit, instead of being stored into the
    /// mapping: the kernel copies them into large page-cache folios, where stores into the mapping take one page fault
    /// per fresh 4 KiB page. 0 = never (every record through the mapping). Readers, recovery and the file format are
    /// the same either way. A performance knob only.
    /// </summary>
    public int StagedWriteMinRecordBytes { get; init; } = DefaultStagedWriteMinRecordBytes;

    // 128 MiB: at the pipeline's ~0.5 GB/s a quarter of a second of records, at 100k transfers/s several seconds —
    // what replication and the read model normally read stays cached; a reader further behind reads from the file.
    public const long DefaultPageCacheKeepBytes = 128L << 20;

    /// <summary>
    /// How many bytes behind the writer stay in the page cache: older pages are written back and evicted by a
    /// background thread (<see cref="SegmentDropBehind"/>), so the cache stays bounded and the writer's next pages are
    /// recycled ones rather than memory the system has not touched for a while (docs/BENCHMARKS.md §23). 0 = keep
    /// everything (the kernel evicts under memory pressure). Never changes a byte; pages a reader still maps stay.
    /// </summary>
    public long PageCacheKeepBytes { get; init; } = DefaultPageCacheKeepBytes;

    /// <summary>
    /// Operator action: on open, cut the journal at the first corrupt record instead of throwing.
    /// This DISCARDS every record from the corruption onwards.
    /// </summary>
    public bool Repair { get; init; }

    /// <summary>
    /// What an open checks before it returns (<see cref="JournalOpenValidation"/>): every record (the default), or only
    /// the last segment's (and <see cref="OpenCheckTailBytes"/>' worth before it), leaving the other sealed segments to
    /// the readers that read them. With <see cref="Repair"/>, the cut is at the first bad record among those the open
    /// reads, or at the first bad segment header (every header is read): a repair of damage anywhere needs AllRecords.
    /// </summary>
    public JournalOpenValidation OpenValidation { get; init; } = JournalOpenValidation.AllRecords;

    /// <summary>
    /// With <see cref="JournalOpenValidation.LastSegment"/>: the records of every segment that reaches into the last this
    /// many bytes of the journal (by file size) are checked at open too, not only the last segment's. For a journal whose
    /// recent sealed segments may not be on disk yet after a power loss (fsync None: the event journal), so that a
    /// repairing open still finds a hole there. 0 = the last segment only.
    /// </summary>
    public long OpenCheckTailBytes { get; init; }

    /// <summary>File name prefix, so one directory can hold several journals ("commands", "events").</summary>
    public string FilePrefix { get; init; } = "journal";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("JournalOptions.Directory must be a non-empty path.", nameof(Directory));
        }

        if (SegmentSizeBytes < MinSegmentSizeBytes || SegmentSizeBytes > MaxSegmentSizeBytes)
        {
            throw new ArgumentException(
                $"JournalOptions.SegmentSizeBytes must be in [{MinSegmentSizeBytes}, {MaxSegmentSizeBytes}], got {SegmentSizeBytes}.",
                nameof(SegmentSizeBytes));
        }

        if (SegmentSizeBytes % JournalRecordHeader.AlignmentBytes != 0)
        {
            throw new ArgumentException(
                $"JournalOptions.SegmentSizeBytes must be a multiple of {JournalRecordHeader.AlignmentBytes}, got {SegmentSizeBytes}.",
                nameof(SegmentSizeBytes));
        }

        if (MaxRecordBytes < 1)
        {
            throw new ArgumentException($"JournalOptions.MaxRecordBytes must be positive, got {MaxRecordBytes}.", nameof(MaxRecordBytes));
        }

        long largestRecordBytes = JournalRecordHeader.RecordBytesOnDisk(MaxRecordBytes);
        if (largestRecordBytes > SegmentSizeBytes - SegmentHeader.SizeBytes)
        {
            throw new ArgumentException(
                $"JournalOptions.MaxRecordBytes {MaxRecordBytes} does not fit a segment of {SegmentSizeBytes} bytes " +
                $"(a record needs {largestRecordBytes} bytes, a segment offers {SegmentSizeBytes - SegmentHeader.SizeBytes}).",
                nameof(MaxRecordBytes));
        }

        if (PrefaultAheadBytes < 0 || PrefaultAheadBytes > MaxSegmentSizeBytes)
        {
            throw new ArgumentException(
                $"JournalOptions.PrefaultAheadBytes must be in [0, {MaxSegmentSizeBytes}], got {PrefaultAheadBytes}.", nameof(PrefaultAheadBytes));
        }

        if (StagedWriteMinRecordBytes < 0)
        {
            throw new ArgumentException(
                $"JournalOptions.StagedWriteMinRecordBytes must be 0 (off) or positive, got {StagedWriteMinRecordBytes}.", nameof(StagedWriteMinRecordBytes));
        }

        if (OpenValidation is not (JournalOpenValidation.AllRecords or JournalOpenValidation.LastSegment))
        {
            throw new ArgumentException($"JournalOptions.OpenValidation {(int)OpenValidation} is not a defined value.", nameof(OpenValidation));
        }

        if (OpenCheckTailBytes < 0)
        {
            throw new ArgumentException($"JournalOptions.OpenCheckTailBytes must be 0 or positive, got {OpenCheckTailBytes}.", nameof(OpenCheckTailBytes));
        }

        if (PageCacheKeepBytes < 0)
        {
            throw new ArgumentException($"JournalOptions.PageCacheKeepBytes must be 0 (keep all) or positive, got {PageCacheKeepBytes}.", nameof(PageCacheKeepBytes));
        }

        if (!Enum.IsDefined(Fsync))
        {
            throw new ArgumentException($"JournalOptions.Fsync has unknown value {(int)Fsync}.", nameof(Fsync));
        }

        ValidatePrefix(FilePrefix);
    }

    internal static void ValidatePrefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix) || prefix.Length > MaxFilePrefixLength)
        {
            throw new ArgumentException($"FilePrefix must be 1..{MaxFilePrefixLength} characters.", nameof(FilePrefix));
        }

        foreach (char c in prefix)
        {
            bool ok = char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-' || c == '.';
            if (!ok)
            {
                throw new ArgumentException($"FilePrefix '{prefix}' may contain only ASCII letters, digits, '_', '-' and '.'.", nameof(FilePrefix));
            }
        }
    }
}
