using System.Buffers.Binary;

namespace Wallet.Engine.Journal;

/// <summary>
/// Segmented, memory-mapped, append-only log of CRC-32C checksummed, hash-chained records.
/// One writer thread owns Append/BeginAppend/CommitAppend/Flush/TruncateAfter/DeleteSegmentsBefore/Dispose;
/// readers (<see cref="OpenReader"/>) may run on other threads. See docs/ARCHITECTURE.md §3 for the format and guarantees.
/// </summary>
/// <remarks>
/// Empty journals: a brand-new journal (no segment files) reports FirstIndex = 1, LastIndex = 0 and accepts any
/// index &gt;= 1 for its first record (a follower may start mid-log), which then becomes FirstIndex. A journal
/// whose segments hold no records (e.g. after TruncateAfter(FirstIndex - 1)) reports LastIndex = FirstIndex - 1
/// and requires the next index to be FirstIndex.
/// </remarks>
public sealed class Journal : IDisposable
{
    private readonly JournalOptions _options;
    private readonly bool _readOnly;
    private readonly object _segmentsLock = new();
    private readonly List<SegmentEntry> _segments;

    private SegmentFile? _active;
    private long _writeOffsetBytes;
    private long _syncedUpToOffsetBytes;
    private long _prefaultRequestedUpToBytes; // active segment: the prefaulter was asked to populate below this
    private SegmentPrefaulter? _prefaulter;    // null when PrefaultAheadBytes is 0 or the kernel lacks the advice
    private ChainState _state;
    private long _firstIndex;
    private long _lastIndex;
    private long _pendingOffsetBytes = -1;
    private JournalRecordHeader _pendingHeader;
    private bool _pendingExact; // the reservation came from BeginAppend (length fixed), not BeginAppendUpTo
    private bool _pendingStaged; // the reservation is in _staging and reaches the file by one pwrite at commit
    // Staged records are built here (allocated on first use, sized for the largest record). All zero between appends:
    // a commit or an abort clears what its record used, so BeginAppendUpTo's "the area is zero" holds here too.
    private byte[]? _staging;
    private long _stagedRecords;
    private bool _lastRecordStaged;         // a fresh segment's first window is populated only for a journal of small records
    private SegmentDropBehind? _dropBehind; // null when PageCacheKeepBytes is 0 (or off Linux)
    private long _appendedBytes;            // record bytes appended since open: the drop-behind window's coordinate
    private bool _disposed;

    private Journal(JournalOptions options, bool readOnly, List<SegmentEntry> segments)
    {
        _options = options;
        _readOnly = readOnly;
        _segments = segments;
        RecoveryReport = new RecoveryReport();
    }

    public JournalOptions Options => _options;

    /// <summary>Chunks the background prefaulter populated (0 when it is off); diagnostics and tests.</summary>
    internal long PrefaultChunksPopulated => _prefaulter?.ChunksPopulated ?? 0;

    /// <summary>Chunks the prefaulter wrote with zeros before populating them (fsync none); diagnostics and tests.</summary>
    internal long PrefaultChunksZeroed => _prefaulter?.ChunksZeroed ?? 0;

    /// <summary>Times this writer waited for the prefaulter's zero-write claim to end; diagnostics and tests.</summary>
    internal long PrefaultWriterWaits => _prefaulter?.WriterWaits ?? 0;

    /// <summary>Drop-behind calls made by this journal's page-cache thread (0 when it is off); diagnostics and tests.</summary>
    internal long DropBehindCalls => _dropBehind?.CallsMade ?? 0;

    /// <summary>
    /// Records written with one write call — built in the staging buffer, or gathered from an <see cref="Append"/> caller's
    /// payload — instead of stored into the mapping (<see cref="JournalOptions.StagedWriteMinRecordBytes"/>).
    /// </summary>
    public long StagedRecords => _stagedRecords;

    /// <summary>Test hook: runs on the prefaulter's thread between a granted zero-write claim and the write.</summary>
    internal Action? PrefaultBeforeZeroWriteForTests
    {
        set
        {
            if (_prefaulter is not null) _prefaulter.BeforeZeroWriteForTests = value;
        }
    }

    public bool IsReadOnly => _readOnly;

    /// <summary>What recovery found on open (torn tail cut, repair performed, counts).</summary>
    public RecoveryReport RecoveryReport { get; private set; }

    /// <summary>Index of the oldest record still held (1 for a brand-new journal).</summary>
    public long FirstIndex => Volatile.Read(ref _firstIndex);

    /// <summary>
    /// Index of the newest complete record, or FirstIndex - 1 when there is none. Written with release
    /// semantics after the record's bytes are complete, so any thread may read it.
    /// </summary>
    public long LastIndex => Volatile.Read(ref _lastIndex);

    /// <summary>Checksum of the last record (the chain head); the segment seed when empty, 0 for genesis. Writer thread only.</summary>
    public uint LastChecksum => _state.LastChecksum;

    public long LastTimestamp => _state.LastTimestamp;

    public long LastTerm => _state.LastTerm;

    /// <summary>
    /// Term of the record just before <see cref="FirstIndex"/> (from the first segment's header; 0 for genesis or a
    /// brand-new journal). After retention or <see cref="ResetAfter"/> this is the term at the compaction boundary.
    /// </summary>
    public long TermBeforeFirst
    {
        get
        {
            lock (_segmentsLock) return _segments.Count == 0 ? _state.LastTerm : _segments[0].StartState.LastTerm;
        }
    }

    /// <summary>Opens (creating if needed) a journal for writing, recovering from a crash. See class remarks.</summary>
    /// <exception cref="JournalCorruptException">Corruption before the tail and <see cref="JournalOptions.Repair"/> is false.</exception>
    public static Journal Open(JournalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        System.IO.Directory.CreateDirectory(options.Directory);
        ScanResult scan = SegmentScanner.ScanDirectory(
            options.Directory, options.FilePrefix, options.PageCacheKeepBytes, validation: options.OpenValidation, checkTailBytes: options.OpenCheckTailBytes);
        var journal = new Journal(options, readOnly: false, new List<SegmentEntry>());
        try
        {
            if (options.PrefaultAheadBytes > 0 && NativeDurability.PopulateSupported)
                journal._prefaulter = new SegmentPrefaulter("prefault-" + options.FilePrefix, dirty: options.Fsync == FsyncPolicy.None);
            if (options.PageCacheKeepBytes > 0 && OperatingSystem.IsLinux())
                journal._dropBehind = new SegmentDropBehind("dropbehind-" + options.FilePrefix, options.PageCacheKeepBytes);
            journal.RecoverWritable(scan);
            return journal;
        }
        catch
        {
            journal.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens for reading only (audit, replay tools): validates like <see cref="Open"/> but never modifies a file.
    /// A torn tail is reported and excluded; corruption throws. Writes throw <see cref="InvalidOperationException"/>.
    /// </summary>
    public static Journal OpenReadOnly(JournalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Repair)
        {
            throw new ArgumentException("Repair modifies files and cannot be used with OpenReadOnly.", nameof(options));
        }

        if (!System.IO.Directory.Exists(options.Directory))
        {
            throw new DirectoryNotFoundException($"Journal directory '{options.Directory}' does not exist.");
        }

        ScanResult scan = SegmentScanner.ScanDirectory(
            options.Directory, options.FilePrefix, options.PageCacheKeepBytes, validation: options.OpenValidation, checkTailBytes: options.OpenCheckTailBytes);
        JournalFault? fault = scan.Fault;
        if (fault is { Kind: JournalFaultKind.Corrupt })
        {
            throw fault.ToException();
        }

        // A segment whose header is missing is not in scan.Segments; a torn record's segment is, ending before it.
        var segments = new List<SegmentEntry>(scan.Segments);
        var journal = new Journal(options, readOnly: true, segments);
        journal.AdoptState();
        journal.RecoveryReport = new RecoveryReport
        {
            SegmentsScanned = scan.SegmentsScanned,
            RecordsScanned = scan.RecordsScanned,
            SegmentsNotRead = scan.SegmentsNotRead,
            TornTailFound = fault is not null,
            CutFilePath = fault?.FilePath,
            CutOffsetBytes = fault?.CutOffsetBytes ?? 0,
            FirstDiscardedIndex = fault?.Index,
            Reason = fault?.Reason,
        };
        return journal;
    }

    /// <summary>
    /// Read-only audit of every segment (CRCs, chain, index continuity, timestamps, zero tails). Never throws
    /// for bad bytes: the first problem is returned with file, offset, index and reason.
    /// </summary>
    public static JournalVerifyResult Verify(string directory, string filePrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        JournalOptions.ValidatePrefix(filePrefix);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Journal directory '{directory}' does not exist.");
        }

        ScanResult scan = SegmentScanner.ScanDirectory(directory, filePrefix, JournalOptions.DefaultPageCacheKeepBytes);
        JournalFault? fault = scan.Fault;
        long firstIndex = scan.Segments.Count > 0 ? scan.Segments[0].FirstIndex : 0;
        long lastIndex = scan.Segments.Count > 0 ? scan.Segments[^1].EndState.NextIndex - 1 : 0;
        return new JournalVerifyResult
        {
            Ok = fault is null,
            SegmentsScanned = scan.SegmentsScanned,
            RecordCount = scan.RecordsScanned,
            FirstIndex = firstIndex,
            LastIndex = lastIndex,
            LastChecksum = scan.Segments.Count > 0 ? scan.Segments[^1].EndState.LastChecksum : 0,
            IsTornTail = fault is { Kind: JournalFaultKind.TornTail },
            FilePath = fault?.FilePath,
            Offset = fault?.OffsetBytes ?? 0,
            Index = fault?.Index,
            Reason = fault?.Reason,
        };
    }

    /// <summary>
    /// Bytes the records from <paramref name="fromIndex"/> on occupy on disk (headers and padding included, segment
    /// headers not), rounded up to whole segments: an upper bound on the payload bytes a read from that index returns,
    /// known without reading. Sizing hint for bulk rebuilds (replay). Call on the writer thread, or on a read-only journal.
    /// </summary>
    public long RecordBytesFrom(long fromIndex) => RecordBytesBetween(fromIndex, long.MaxValue);

    /// <summary>
    /// As <see cref="RecordBytesFrom"/>, for the records [<paramref name="fromIndex"/>, <paramref name="toIndex"/>] only:
    /// segments that start after <paramref name="toIndex"/> are not counted (whole segments otherwise, so still an upper bound).
    /// </summary>
    public long RecordBytesBetween(long fromIndex, long toIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_segmentsLock)
        {
            long total = 0;
            for (int i = 0; i < _segments.Count; i++)
            {
                bool last = i == _segments.Count - 1;
                // Segment i holds [FirstIndex_i, FirstIndex_{i+1}); skip it when all of that is before fromIndex.
                if (!last && _segments[i + 1].FirstIndex <= fromIndex) continue;
                if (_segments[i].FirstIndex > toIndex) break;
                long end = last && !_readOnly && _active is not null ? _writeOffsetBytes : _segments[i].EndOffsetBytes;
                total += Math.Max(0, end - SegmentHeader.SizeBytes);
            }

            return total;
        }
    }

    /// <summary>Appends one record. Allocation-free in steady state (a segment roll allocates).</summary>
    /// <exception cref="ArgumentException">Index is not LastIndex + 1, timestamp goes back, type is 0, payload too large.</exception>
    public void Append(ushort type, long index, long term, long timestamp, ReadOnlySpan<byte> payload, ushort flags = 0)
    {
        int stagedMin = _options.StagedWriteMinRecordBytes;
        if (stagedMin > 0 && payload.Length <= _options.MaxRecordBytes && JournalRecordHeader.RecordBytesOnDisk(payload.Length) >= stagedMin)
        {
            AppendGathered(type, index, term, timestamp, payload, flags);
            return;
        }

        Span<byte> destination = BeginAppend(type, index, term, timestamp, payload.Length, flags);
        payload.CopyTo(destination);
        CommitAppend();
    }

    /// <summary>
    /// A large record from a caller's buffer: header and payload go to the file in one <c>pwritev</c>, with no copy into
    /// the staging buffer (the sequencer's commands, a follower's replicated entries). The padding after the payload is
    /// already zero in the file: every byte past the write offset is (an abort or a truncation zeroes what it discards).
    /// </summary>
    private void AppendGathered(ushort type, long index, long term, long timestamp, ReadOnlySpan<byte> payload, ushort flags)
    {
        Reserve(type, index, term, timestamp, payload.Length, flags, exactLength: true, gathered: true);
        Span<byte> header = stackalloc byte[JournalRecordHeader.SizeBytes];
        _pendingHeader.Write(header); // checksum 0: what the CRC covers
        uint crc = Crc32C.Append(Crc32C.Compute(header), payload);
        BinaryPrimitives.WriteUInt32LittleEndian(header[JournalRecordHeader.ChecksumOffset..], crc);
        SegmentFile active = _active!;
        try
        {
            active.WriteGather(header, payload, _pendingOffsetBytes);
        }
        catch
        {
            _pendingOffsetBytes = -1;
            throw;
        }

        _stagedRecords++;
        FinishCommit(active, crc);
    }

    /// <summary>
    /// Zero-copy append, step 1: validates the record, reserves its space and returns the payload area inside
    /// the mapping for the caller to fill. Nothing is visible to readers or recovery until <see cref="CommitAppend()"/>;
    /// <see cref="AbortAppend"/> discards the reservation.
    /// </summary>
    public Span<byte> BeginAppend(ushort type, long index, long term, long timestamp, int payloadLength, ushort flags = 0) =>
        Reserve(type, index, term, timestamp, payloadLength, flags, exactLength: true);

    /// <summary>
    /// Zero-copy append of a record whose length is known only after it is written (e.g. a command's events):
    /// reserves room for up to <paramref name="maxPayloadLength"/> bytes and returns that area; the caller writes a
    /// prefix of it and passes its length to <see cref="CommitAppend(int)"/>. The area is zero when returned, and
    /// bytes past the committed length must be left untouched (zero): the next record starts there. Until the commit
    /// the header declares the whole reservation, so a crash mid-fill is classified as a torn tail like any other.
    /// </summary>
    public Span<byte> BeginAppendUpTo(ushort type, long index, long term, long timestamp, int maxPayloadLength, ushort flags = 0) =>
        Reserve(type, index, term, timestamp, maxPayloadLength, flags, exactLength: false);

    private Span<byte> Reserve(ushort type, long index, long term, long timestamp, int payloadLength, ushort flags, bool exactLength, bool gathered = false)
    {
        ThrowIfNotWritable();
        if (_pendingOffsetBytes >= 0)
        {
            throw new InvalidOperationException("An append is already in progress; call CommitAppend or AbortAppend first.");
        }

        if (type == 0)
        {
            throw new ArgumentException("Record type 0 is reserved.", nameof(type));
        }

        if (payloadLength < 0 || payloadLength > _options.MaxRecordBytes)
        {
            throw new ArgumentException($"Payload of {payloadLength} bytes is outside [0, MaxRecordBytes = {_options.MaxRecordBytes}].", nameof(payloadLength));
        }

        bool indexOk = _segments.Count == 0 ? index >= 1 && index < long.MaxValue : index == _state.NextIndex;
        if (!indexOk)
        {
            throw new ArgumentException($"Index {index} must be LastIndex + 1 = {LastIndex + 1}.", nameof(index));
        }

        if (term < 0)
        {
            throw new ArgumentException($"Term {term} is negative.", nameof(term));
        }

        if (timestamp < _state.LastTimestamp)
        {
            throw new ArgumentException($"Timestamp {timestamp} is before the last timestamp {_state.LastTimestamp}; timestamps must not decrease.", nameof(timestamp));
        }

        int recordBytes = JournalRecordHeader.RecordBytesOnDisk(payloadLength);
        if (_active is null || _writeOffsetBytes + recordBytes > _active.MappedBytes)
        {
            Roll(index);
        }

        SegmentFile active = _active!;
        Invariant.Assert(_writeOffsetBytes + recordBytes <= active.MappedBytes, "record does not fit a fresh segment");
        int stagedMin = _options.StagedWriteMinRecordBytes;
        bool staged = stagedMin > 0 && recordBytes >= stagedMin;
        // A staged record never touches the mapping: populating pages for it would be work for nothing.
        if (_prefaulter is not null && !staged)
        {
            // Half the window left: ask for a full window more (a wake-up of the prefaulter every ahead/2 bytes).
            long end = _writeOffsetBytes + recordBytes, ahead = _options.PrefaultAheadBytes;
            if (end + ahead / 2 > _prefaultRequestedUpToBytes && _prefaultRequestedUpToBytes < active.MappedBytes)
            {
                _prefaultRequestedUpToBytes = Math.Min(active.MappedBytes, end + ahead);
                _prefaulter.Request(_prefaultRequestedUpToBytes);
            }
        }

        // The prefaulter may be writing zeros ahead: the record's range must not be under its claim (it waits if it is).
        // Published here, it also covers a staged record's pwrite at commit (the offset does not move until then).
        _prefaulter?.BeforeWrite(active, _writeOffsetBytes, _writeOffsetBytes + recordBytes);
        _pendingStaged = staged;
        _lastRecordStaged = staged;
        _pendingHeader = new JournalRecordHeader
        {
            TotalLengthBytes = recordBytes,
            Type = type,
            Flags = flags,
            Index = index,
            Term = term,
            Timestamp = timestamp,
            PayloadLength = payloadLength,
            PrevChecksum = _state.LastChecksum,
            Checksum = 0,
        };
        if (gathered)
        {
            Invariant.Assert(staged, "a gathered record is a staged one");
            _pendingExact = true;
            _pendingOffsetBytes = _writeOffsetBytes;
            return default; // the caller writes header and payload itself (AppendGathered)
        }

        Span<byte> record = RecordArea(_writeOffsetBytes, recordBytes);

        // The header goes down first (checksum 0 = invalid): a crash mid-fill then looks like a torn record,
        // never like payload bytes after the end of the records.
        _pendingHeader.Write(record);
        // Exact: clear the alignment padding now. Up-to: everything past the write offset is zero (an abort or a
        // truncation zeroes what it discards), and the commit clears the padding after the real length.
        if (exactLength) record[(JournalRecordHeader.SizeBytes + payloadLength)..].Clear();
        _pendingExact = exactLength;
        _pendingOffsetBytes = _writeOffsetBytes;
        return record.Slice(JournalRecordHeader.SizeBytes, payloadLength);
    }

    /// <summary>Zero-copy append, step 2: checksums the record, syncs it under Always, and publishes LastIndex.</summary>
    public void CommitAppend()
    {
        ThrowIfNotWritable();
        if (_pendingOffsetBytes < 0)
        {
            throw new InvalidOperationException("CommitAppend without BeginAppend.");
        }

        if (!_pendingExact)
        {
            throw new InvalidOperationException("A BeginAppendUpTo reservation is committed with CommitAppend(payloadLength).");
        }

        CommitPending();
    }

    /// <summary>
    /// Step 2 of <see cref="BeginAppendUpTo"/>: the record becomes the first <paramref name="payloadLength"/> bytes of
    /// the reserved area (at most the reserved length); its header is rewritten with that length, then checksummed and
    /// published as <see cref="CommitAppend()"/> does.
    /// </summary>
    public void CommitAppend(int payloadLength)
    {
        ThrowIfNotWritable();
        if (_pendingOffsetBytes < 0 || _pendingExact)
        {
            throw new InvalidOperationException("CommitAppend(payloadLength) without BeginAppendUpTo.");
        }

        if (payloadLength < 0 || payloadLength > _pendingHeader.PayloadLength)
        {
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, $"Payload length must be in [0, {_pendingHeader.PayloadLength}] (the reservation).");
        }

        int recordBytes = JournalRecordHeader.RecordBytesOnDisk(payloadLength);
        Span<byte> record = RecordArea(_pendingOffsetBytes, recordBytes);
        // Padding after the payload: zero unless the caller wrote past its length (which it must not).
        record[(JournalRecordHeader.SizeBytes + payloadLength)..].Clear();
        _pendingHeader.TotalLengthBytes = recordBytes;
        _pendingHeader.PayloadLength = payloadLength;
        _pendingHeader.Write(record); // checksum still 0: the CRC below covers exactly that
        CommitPending();
    }

    private void CommitPending()
    {
        SegmentFile active = _active!;
        long offset = _pendingOffsetBytes;
        ref readonly JournalRecordHeader h = ref _pendingHeader;
        Span<byte> record = RecordArea(offset, h.TotalLengthBytes);

        // The checksum field is still 0 in the record, which is exactly what the CRC covers.
        uint crc = Crc32C.Compute(record[..(JournalRecordHeader.SizeBytes + h.PayloadLength)]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[JournalRecordHeader.ChecksumOffset..], crc);
        if (_pendingStaged)
        {
            // The whole record, checksum included, in one write: recovery sees it complete or torn, as with stores.
            try
            {
                active.Write(record, offset);
            }
            catch
            {
                ClearStaging(h.TotalLengthBytes);
                _pendingOffsetBytes = -1;
                throw;
            }
            // The caller wrote nothing past the committed length: clearing the record leaves the buffer all zero.
            ClearStaging(h.TotalLengthBytes);
            _stagedRecords++;
        }

        FinishCommit(active, crc);
    }

    /// <summary>The record at the pending offset is in the file with checksum <paramref name="crc"/>: advance and publish.</summary>
    private void FinishCommit(SegmentFile active, uint crc)
    {
        long offset = _pendingOffsetBytes;
        ref readonly JournalRecordHeader h = ref _pendingHeader;
        _state.NextIndex = h.Index + 1;
        _state.LastChecksum = crc;
        _state.LastTerm = h.Term;
        _state.LastTimestamp = h.Timestamp;
        _writeOffsetBytes = offset + h.TotalLengthBytes;
        _pendingOffsetBytes = -1;
        _appendedBytes += h.TotalLengthBytes;
        _dropBehind?.Advance(_appendedBytes);
        if (_options.Fsync == FsyncPolicy.Always)
        {
            active.SyncRange(_syncedUpToOffsetBytes, _writeOffsetBytes - _syncedUpToOffsetBytes);
            _syncedUpToOffsetBytes = _writeOffsetBytes;
        }

        // Release: a reader that acquires LastIndex >= h.Index sees every byte of the record.
        Volatile.Write(ref _lastIndex, h.Index);
    }

    /// <summary>Discards a reservation made by <see cref="BeginAppend"/>, zeroing its bytes.</summary>
    public void AbortAppend()
    {
        ThrowIfNotWritable();
        if (_pendingOffsetBytes < 0)
        {
            return;
        }

        RecordArea(_pendingOffsetBytes, _pendingHeader.TotalLengthBytes).Clear();
        _pendingOffsetBytes = -1;
    }

    /// <summary>
    /// Group-commit point. Batch: msync everything appended since the last Flush (returns when durable).
    /// Always: nothing to do (each Append synced). None: nothing (the kernel writes back on its own schedule).
    /// </summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_options.Fsync != FsyncPolicy.Batch || _active is null || _readOnly)
        {
            return;
        }

        long unsynced = _writeOffsetBytes - _syncedUpToOffsetBytes;
        if (unsynced > 0)
        {
            _active.SyncRange(_syncedUpToOffsetBytes, unsynced);
            _syncedUpToOffsetBytes = _writeOffsetBytes;
        }
    }

    /// <summary>
    /// Forward reader starting at <paramref name="fromIndex"/> (FirstIndex .. LastIndex + 1). It returns records up
    /// to this journal's published LastIndex, so it may run on another thread while the writer appends.
    /// </summary>
    public JournalReader OpenReader(long fromIndex)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long first = FirstIndex;
        long last = LastIndex;
        if (fromIndex < first || fromIndex > last + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fromIndex), fromIndex,
                $"Index {fromIndex} is not in the journal: readable indexes are [{first}, {last}] (or {last + 1} to wait for the next record).");
        }

        return new JournalReader(this, fromIndex);
    }

    /// <summary>
    /// Discards every record after <paramref name="index"/> (FirstIndex - 1 .. LastIndex): later segments are
    /// deleted (newest first, so a crash leaves a valid prefix) and the tail is zeroed. Appends continue the chain.
    /// Readers must not be positioned after <paramref name="index"/>.
    /// </summary>
    public void TruncateAfter(long index)
    {
        ThrowIfNotWritable();
        if (_pendingOffsetBytes >= 0)
        {
            throw new InvalidOperationException("TruncateAfter during an unfinished BeginAppend.");
        }

        long last = LastIndex;
        if (index == last)
        {
            return;
        }

        if (_segments.Count == 0 || index < _firstIndex - 1 || index > last)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"TruncateAfter index must be in [{_firstIndex - 1}, {last}].");
        }

        int k = _segments.Count - 1;
        while (_segments[k].FirstIndex > index + 1)
        {
            k--;
        }

        bool dropWholeSegment = _segments[k].FirstIndex == index + 1 && k > 0;
        int keep = dropWholeSegment ? k : k + 1;
        bool cutsActiveSegment = keep == _segments.Count;

        SegmentEntry activeEntry = _segments[^1];
        activeEntry.EndOffsetBytes = _writeOffsetBytes;
        activeEntry.EndState = _state;
        _active?.Dispose(); // null only if a previous roll failed half-way
        _active = null;

        DeleteSegmentFiles(fromOrdinal: keep, count: _segments.Count - keep, newestFirst: true);

        SegmentEntry target = _segments[keep - 1];
        SegmentFile segment = SegmentFile.OpenWrite(target.Path, target.SegmentSizeBytes);
        ChainState state = target.StartState;
        long cutOffset = SegmentHeader.SizeBytes;
        if (dropWholeSegment && !target.RecordsChecked)
        {
            // Never read since the open (JournalOpenValidation.LastSegment): it is about to take appends, so its real
            // end must be found, and its records checked, first.
            long records = 0;
            JournalFault? fault = SegmentScanner.WalkRecords(segment.Bytes, target.SegmentSizeBytes, target.Path, keep - 1, isLast: false,
                ref state, ref cutOffset, stopAtIndex: long.MaxValue, ref records, segment);
            if (fault is not null || state.NextIndex != index + 1)
            {
                segment.Dispose();
                throw fault?.ToException() ?? new JournalCorruptException(target.Path, cutOffset, index + 1,
                    $"segment ends before index {state.NextIndex} but the next segment starts at index {index + 1}");
            }

            target.EndOffsetBytes = cutOffset; // nothing after the records to clear: the walk found zeros
            target.RecordsChecked = true;
        }
        else if (dropWholeSegment)
        {
            state = target.EndState;
            cutOffset = target.EndOffsetBytes;
        }
        else
        {
            long records = 0;
            JournalFault? fault = SegmentScanner.WalkRecords(segment.Bytes, target.SegmentSizeBytes, target.Path, keep - 1, isLast: false,
                ref state, ref cutOffset, stopAtIndex: index + 1, ref records);
            if (fault is not null || state.NextIndex != index + 1)
            {
                segment.Dispose();
                throw fault?.ToException() ?? new JournalCorruptException(target.Path, cutOffset, index + 1, "record not found while truncating");
            }
        }

        long endOffset = target.EndOffsetBytes;
        if (!target.RecordsChecked && endOffset > cutOffset)
        {
            // An unread segment's end is only bounded by its file: clear up to its last non-zero byte, not every page.
            long lastNonZero = segment.LastNonZeroFrom(cutOffset);
            endOffset = Math.Min(endOffset, lastNonZero + 1);
            if (endOffset < cutOffset) endOffset = cutOffset;
        }

        if (endOffset > cutOffset)
        {
            segment.WritableBytes[(int)cutOffset..(int)endOffset].Clear();
            if (_options.Fsync != FsyncPolicy.None)
            {
                segment.SyncRange(cutOffset, endOffset - cutOffset);
            }
        }

        target.EndOffsetBytes = cutOffset;
        target.EndState = state;
        target.RecordsChecked = true; // every record it keeps was walked
        _active = segment;
        _writeOffsetBytes = cutOffset;
        ActiveSegmentChanged();

        // Kept records the last Flush did not cover still need the next Flush; sealed segments were synced at roll.
        _syncedUpToOffsetBytes = cutsActiveSegment ? Math.Min(_syncedUpToOffsetBytes, cutOffset) : cutOffset;
        _state = state;
        Volatile.Write(ref _lastIndex, index);
    }

    /// <summary>
    /// Retention after a snapshot: deletes whole segments whose records are all below <paramref name="index"/>
    /// (never the last segment). The chain stays verifiable through the next segment's header seed.
    /// Returns the number of segment files deleted.
    /// </summary>
    public int DeleteSegmentsBefore(long index)
    {
        ThrowIfNotWritable();
        int count = 0;
        while (count < _segments.Count - 1 && _segments[count + 1].FirstIndex <= index)
        {
            count++;
        }

        if (count > 0)
        {
            // Oldest first: a crash leaves a suffix, which is a valid journal anchored by its first header.
            DeleteSegmentFiles(fromOrdinal: 0, count, newestFirst: false);
        }

        return count;
    }

    /// <summary>
    /// Snapshot installation under consensus: discards every record and restarts the journal empty after
    /// <paramref name="index"/> (FirstIndex = index + 1, LastIndex = index). The new segment's header remembers the
    /// boundary's <paramref name="term"/> and <paramref name="timestamp"/> (<see cref="TermBeforeFirst"/>, the next
    /// record's timestamp floor); its chain seed is 0 (the chain restarts: the record before is not held). Old segments
    /// go newest first, so a crash part-way leaves a valid (shorter) journal; the caller repeats the reset on recovery.
    /// Readers must not be open on this journal.
    /// </summary>
    public void ResetAfter(long index, long term, long timestamp)
    {
        ThrowIfNotWritable();
        if (_pendingOffsetBytes >= 0)
        {
            throw new InvalidOperationException("ResetAfter during an unfinished BeginAppend.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfNegative(term);
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        _active?.Dispose();
        _active = null;
        DeleteSegmentFiles(fromOrdinal: 0, count: _segments.Count, newestFirst: true);
        _state = new ChainState { NextIndex = index + 1, LastChecksum = 0, LastTerm = term, LastTimestamp = timestamp };
        Roll(index + 1);
        if (_options.Fsync == FsyncPolicy.None)
        {
            // Roll syncs only under Batch/Always; the reset is a rare, structural change: make it durable anyway.
            _active!.SyncRange(0, SegmentHeader.SizeBytes);
            _active.SyncFile();
            NativeDurability.SyncDirectory(_options.Directory);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            if (_pendingOffsetBytes >= 0 && _active is not null)
            {
                AbortAppend();
            }

            Flush();
        }
        finally
        {
            _disposed = true;
            _prefaulter?.Dispose();
            _dropBehind?.Dispose();
            _active?.Dispose();
            _active = null;
        }
    }

    /// <summary>
    /// Where each segment starts, oldest first: its first index and the term of the record just before it (from its
    /// header; read without touching the records). Lets a caller that needs per-record terms read only the segments
    /// whose boundary terms differ (<c>JournalRaftLog</c>).
    /// </summary>
    internal void CopySegmentStarts(List<(long FirstIndex, long PrevTerm)> into)
    {
        lock (_segmentsLock)
        {
            foreach (SegmentEntry segment in _segments)
            {
                into.Add((segment.FirstIndex, segment.StartState.LastTerm));
            }
        }
    }

    /// <summary>Segment holding <paramref name="index"/> (greatest FirstIndex &lt;= index), for readers on any thread.</summary>
    internal SegmentEntry? FindSegment(long index)
    {
        lock (_segmentsLock)
        {
            for (int i = _segments.Count - 1; i >= 0; i--)
            {
                if (_segments[i].FirstIndex <= index)
                {
                    return _segments[i];
                }
            }

            return null;
        }
    }

    private void RecoverWritable(ScanResult scan)
    {
        JournalFault? fault = scan.Fault;
        if (fault is { Kind: JournalFaultKind.Corrupt } && !_options.Repair)
        {
            throw fault.ToException();
        }

        long bytesTruncated = 0;
        int segmentsDeleted = 0;
        int keep = scan.Segments.Count;
        if (fault is not null)
        {
            keep = fault.CutOffsetBytes == 0 ? fault.SegmentOrdinal : fault.SegmentOrdinal + 1;
            for (int i = scan.Files.Count - 1; i >= keep; i--)
            {
                string path = scan.Files[i].Path;
                bytesTruncated += new FileInfo(path).Length;
                File.Delete(path);
                segmentsDeleted++;
            }

            if (segmentsDeleted > 0 && _options.Fsync != FsyncPolicy.None)
            {
                NativeDurability.SyncDirectory(_options.Directory);
            }
        }

        for (int i = 0; i < keep; i++)
        {
            _segments.Add(scan.Segments[i]);
        }

        AdoptState();
        if (_segments.Count > 0)
        {
            SegmentEntry last = _segments[^1];
            _active = SegmentFile.OpenWrite(last.Path, last.SegmentSizeBytes);
            _writeOffsetBytes = last.EndOffsetBytes;
            ActiveSegmentChanged();
            if (_options.Fsync != FsyncPolicy.None)
            {
                // A process crash leaves accepted records in the page cache, possibly unsynced: make them durable
                // before anything new is appended after them (only dirty pages cost anything).
                _active.SyncRange(0, last.EndOffsetBytes);
            }

            _syncedUpToOffsetBytes = last.EndOffsetBytes;
            // Holes (the preallocated rest of the segment) are zeros without being read: only data extents are looked at.
            long lastNonZeroAt = _active.LastNonZeroFrom(last.EndOffsetBytes);
            if (lastNonZeroAt >= 0)
            {
                int lastNonZero = (int)(lastNonZeroAt - last.EndOffsetBytes);
                Span<byte> tail = _active.WritableBytes[(int)last.EndOffsetBytes..];
                Invariant.Assert(fault is not null, "non-zero bytes after the records without a fault");
                bytesTruncated += lastNonZero + 1;
                tail[..(lastNonZero + 1)].Clear();
                if (_options.Fsync != FsyncPolicy.None)
                {
                    _active.SyncRange(last.EndOffsetBytes, lastNonZero + 1);
                }
            }
        }

        RecoveryReport = new RecoveryReport
        {
            SegmentsScanned = scan.SegmentsScanned,
            RecordsScanned = scan.RecordsScanned,
            SegmentsNotRead = scan.SegmentsNotRead,
            TornTailFound = fault is { Kind: JournalFaultKind.TornTail },
            RepairPerformed = fault is { Kind: JournalFaultKind.Corrupt },
            BytesTruncated = bytesTruncated,
            SegmentsDeleted = segmentsDeleted,
            CutFilePath = fault?.FilePath,
            CutOffsetBytes = fault?.CutOffsetBytes ?? 0,
            FirstDiscardedIndex = fault?.Index,
            Reason = fault?.Reason,
        };
    }

    private void AdoptState()
    {
        if (_segments.Count == 0)
        {
            _state = default;
            _firstIndex = 1;
            _lastIndex = 0;
            return;
        }

        _state = _segments[^1].EndState;
        _firstIndex = _segments[0].FirstIndex;
        _lastIndex = _state.NextIndex - 1;
    }

    private void Roll(long index)
    {
        if (_active is not null)
        {
            SegmentEntry current = _segments[^1];
            bool empty = _writeOffsetBytes == SegmentHeader.SizeBytes;
            if (!empty && _options.Fsync != FsyncPolicy.None)
            {
                _active.SyncRange(_syncedUpToOffsetBytes, _writeOffsetBytes - _syncedUpToOffsetBytes);
            }

            current.EndOffsetBytes = _writeOffsetBytes;
            current.EndState = _state;
            // With drop-behind the sealed segment is handed over: its tail leaves the cache as the writer moves on.
            if (_dropBehind is not null) _dropBehind.Seal(_active, _writeOffsetBytes, _appendedBytes);
            else _active.Dispose();
            _active = null;
            if (empty)
            {
                // An empty segment too small for this record (older, smaller SegmentSizeBytes): replace it,
                // since the new segment gets the same first index and therefore the same file name.
                DeleteSegmentFiles(fromOrdinal: _segments.Count - 1, count: 1, newestFirst: true);
            }
        }

        string path = Path.Combine(_options.Directory, SegmentFile.FileName(_options.FilePrefix, index));
        var header = new SegmentHeader
        {
            Magic = SegmentHeader.MagicValue,
            FormatVersion = SegmentHeader.CurrentFormatVersion,
            HeaderBytes = SegmentHeader.SizeBytes,
            FirstIndex = index,
            SegmentSizeBytes = _options.SegmentSizeBytes,
            ChainSeed = _state.LastChecksum,
            PrevTerm = _state.LastTerm,
            PrevTimestamp = _state.LastTimestamp,
        };
        SegmentFile segment = SegmentFile.Create(path, _options.SegmentSizeBytes);
        // Written with pwrite, not stored into the mapping: the first store into a fresh mapping (default advice, before
        // ActiveSegmentChanged) faults with file read-ahead, which zero-filled the first 8 MiB of every segment in one
        // non-preemptible call on the writer's thread (read_ahead_kb 8192 on this VM; docs/BENCHMARKS.md §23).
        Span<byte> headerBytes = stackalloc byte[SegmentHeader.SizeBytes];
        header.WriteWithChecksum(headerBytes);
        segment.Write(headerBytes, 0);
        if (_options.Fsync != FsyncPolicy.None)
        {
            // Header, file size and directory entry must be durable before records in this file can be.
            segment.SyncRange(0, SegmentHeader.SizeBytes);
            segment.SyncFile();
            NativeDurability.SyncDirectory(_options.Directory);
        }

        ChainState start = ChainState.FromSegmentHeader(header);
        var entry = new SegmentEntry
        {
            Path = path, FirstIndex = index, SegmentSizeBytes = _options.SegmentSizeBytes, StartState = start,
            EndOffsetBytes = SegmentHeader.SizeBytes, EndState = start,
        };
        lock (_segmentsLock)
        {
            _segments.Add(entry);
            if (_segments.Count == 1)
            {
                Volatile.Write(ref _firstIndex, index);
                Volatile.Write(ref _lastIndex, index - 1);
            }
        }

        _active = segment;
        _writeOffsetBytes = SegmentHeader.SizeBytes;
        _syncedUpToOffsetBytes = SegmentHeader.SizeBytes;
        ActiveSegmentChanged();
        _state = start;
    }

    private void DeleteSegmentFiles(int fromOrdinal, int count, bool newestFirst)
    {
        if (count <= 0)
        {
            return;
        }

        for (int n = 0; n < count; n++)
        {
            int i = newestFirst ? fromOrdinal + count - 1 - n : fromOrdinal + n;
            File.Delete(_segments[i].Path);
        }

        lock (_segmentsLock)
        {
            _segments.RemoveRange(fromOrdinal, count);
            if (_segments.Count > 0)
            {
                Volatile.Write(ref _firstIndex, _segments[0].FirstIndex);
            }
        }

        if (_options.Fsync != FsyncPolicy.None)
        {
            NativeDurability.SyncDirectory(_options.Directory);
        }
    }

    /// <summary>The writer moved to another segment (or offset): the prefaulter follows, starting at the write offset.</summary>
    /// <summary>Where the pending record's bytes are built: the staging buffer, or the mapping at its offset.</summary>
    private Span<byte> RecordArea(long offsetBytes, int recordBytes)
    {
        if (!_pendingStaged) return _active!.WritableBytes.Slice((int)offsetBytes, recordBytes);
        // Sized once for the largest record a reservation can ask for (Validate: it fits a segment).
        _staging ??= GC.AllocateArray<byte>(JournalRecordHeader.RecordBytesOnDisk(_options.MaxRecordBytes), pinned: true);
        return _staging.AsSpan(0, recordBytes);
    }

    private void ClearStaging(int recordBytes) => _staging.AsSpan(0, recordBytes).Clear();

    private void ActiveSegmentChanged()
    {
        _dropBehind?.Switch(_active, _writeOffsetBytes, _appendedBytes);
        _prefaultRequestedUpToBytes = _writeOffsetBytes;
        if (_prefaulter is null) return;
        _prefaulter.Switch(_active, _writeOffsetBytes);
        if (_active is null) return;
        _active.AdviseNoReadAhead();
        // Start on the first window now: a fresh segment's first pages are the ones the writer needs next — unless the
        // records are large enough to be staged, which never touch the mapping (a small one asks for its window itself).
        if (_lastRecordStaged) return;
        _prefaultRequestedUpToBytes = Math.Min(_active.MappedBytes, _writeOffsetBytes + _options.PrefaultAheadBytes);
        _prefaulter.Request(_prefaultRequestedUpToBytes);
    }

    private void ThrowIfNotWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_readOnly)
        {
            throw new InvalidOperationException("The journal was opened read-only.");
        }
    }
}
