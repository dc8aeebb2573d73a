using System.Buffers.Binary;
using System.Runtime.ExceptionServices;

namespace Wallet.Engine.Journal;

/// <summary>
/// Validation of untrusted on-disk bytes, shared by Open, OpenReadOnly, Verify, TruncateAfter and readers.
/// Rules (see docs/ARCHITECTURE.md §3, "Durability"): a record is valid when its length is plausible, its CRC matches, its padding is
/// zero, its index is the next one, it chains to the previous checksum and its timestamp does not go back.
/// A bad record in the LAST segment is a torn tail when nothing but zeros follows it and no valid successor
/// record starts inside its declared extent; everything else is corruption.
/// </summary>
internal static class SegmentScanner
{
    /// <summary>A journal at least this large is validated by several threads at once (one segment each at a time).</summary>
    internal const long ParallelScanMinBytes = 64L << 20;

    /// <summary>Validates every segment of the journal <paramref name="prefix"/> in <paramref name="directory"/>, oldest first.</summary>
    /// <param name="directory">The journal's directory.</param>
    /// <param name="prefix">The journal's file prefix.</param>
    /// <param name="keepCachedBytes">
    /// Validated segments further than this from the end of the journal (by file size) leave the page cache once
    /// checked (clean pages only): an open then reads a long journal through the same recycled pages instead of pulling
    /// all of it into memory (<see cref="JournalOptions.PageCacheKeepBytes"/>; 0 = leave the cache alone).
    /// </param>
    /// <param name="parallelMinBytes">
    /// Journals of at least this many bytes are checked by up to <see cref="ParallelWork.MaxThreads"/> threads: every segment
    /// header carries the chain state it starts from, so segments validate independently and only the links between
    /// them (checked here, in order) need their neighbours. The result is the same as one thread's, fault for fault.
    /// </param>
    /// <param name="validation">
    /// <see cref="JournalOpenValidation.LastSegment"/>: sealed segments' headers only (their records stay on disk, unread),
    /// the last segment in full. A sealed segment that ends up last (the next file's header is torn) is walked in full.
    /// </param>
    /// <param name="checkTailBytes">With LastSegment: segments reaching into the journal's last this many bytes are walked too.</param>
    public static ScanResult ScanDirectory(
        string directory, string prefix, long keepCachedBytes = 0, long parallelMinBytes = ParallelScanMinBytes,
        JournalOpenValidation validation = JournalOpenValidation.AllRecords, long checkTailBytes = 0)
    {
        bool sealedHeadersOnly = validation == JournalOpenValidation.LastSegment;
        var files = SegmentFile.List(directory, prefix);
        var result = new ScanResult { Files = files };
        int n = files.Count;
        var lengths = new long[n];
        long totalBytes = 0;
        for (int i = 0; i < n; i++)
        {
            try { lengths[i] = new FileInfo(files[i].Path).Length; }
            catch (IOException) { }
            totalBytes += lengths[i];
        }

        int firstKept = 0;
        if (keepCachedBytes > 0)
        {
            firstKept = n;
            long tail = 0;
            while (firstKept > 0 && tail < keepCachedBytes) tail += lengths[--firstKept];
        }

        var scans = new SegmentScan[n];
        // Segments read in full: all, or (LastSegment) the last and every one reaching into the last checkTailBytes.
        int firstWalked = 0;
        if (sealedHeadersOnly && n > 0)
        {
            firstWalked = n - 1;
            long tail = lengths[n - 1];
            while (firstWalked > 0 && tail < checkTailBytes) tail += lengths[--firstWalked];
        }

        long bytesToRead = 0;
        for (int i = firstWalked; i < n; i++) bytesToRead += lengths[i];
        int threads = bytesToRead >= parallelMinBytes ? Math.Min(ParallelWork.Threads, n) : 1;
        ScanInParallel(files, scans, firstKept, threads, firstWalked);

        ChainState previous = default;
        long records = 0;
        for (int i = 0; i < n; i++)
        {
            result.SegmentsScanned++;
            ref SegmentScan scan = ref scans[i];
            scan.Error?.Throw();
            JournalFault? fault = scan.Fault;
            SegmentEntry? entry = scan.Entry;
            long? expectedIndex = i == 0 ? null : previous.NextIndex;
            if (scan.HeaderFault)
            {
                // Found before its records, without the previous segment: the index it expected comes from there.
                fault = Fault(fault!.Kind, fault.FilePath, fault.OffsetBytes, expectedIndex, fault.Reason, i, fault.CutOffsetBytes);
            }
            else if (entry is not null && i > 0 && !result.Segments[^1].RecordsChecked)
            {
                // The previous segment was not read: its end is, until a reader walks it, what this header says.
                result.Segments[^1].EndState = ChainState.FromSegmentHeader(scan.Header);
                records += scan.Records;
            }
            else if (entry is not null && i > 0 && CheckContinuity(scan.Header, previous, out long fieldOffset) is { } broken)
            {
                // The link to the previous segment is checked before its records count (as one thread reading in order would).
                fault = Fault(JournalFaultKind.Corrupt, entry.Path, fieldOffset, expectedIndex, broken, i, 0);
                entry = null;
            }
            else
            {
                records += scan.Records;
            }

            if (entry is not null)
            {
                result.Segments.Add(entry);
                previous = entry.EndState;
            }

            if (fault is not null)
            {
                result.Fault = fault;
                break;
            }
        }

        if (result.Segments.Count > 0 && !result.Segments[^1].RecordsChecked)
        {
            // A sealed segment ends the journal (the next file's header was missing or bad): its end must be known to
            // append after it, so it is walked now, as a full scan would have walked it (not as the last file).
            int i = result.Segments.Count - 1;
            SegmentScan walked = ScanAlone(files[i].Path, files[i].FirstIndex, i, isLast: false, dropAfter: false, headerOnly: false);
            walked.Error?.Throw();
            result.Segments.RemoveAt(i);
            if (walked.Entry is not null)
            {
                result.Segments.Add(walked.Entry);
                records += walked.Records;
            }
            if (walked.Fault is not null)
            {
                result.Fault = walked.Fault; // earlier in the journal than the fault that ended the scan
            }
            else if (walked.Entry is not null && result.Fault is { } next && next.SegmentOrdinal == i + 1 && scans[i + 1].HeaderFault)
            {
                // The next file's header fault expected the index this segment really ends before.
                result.Fault = Fault(next.Kind, next.FilePath, next.OffsetBytes, walked.Entry.EndState.NextIndex, next.Reason, next.SegmentOrdinal, next.CutOffsetBytes);
            }
        }

        int notRead = 0;
        foreach (SegmentEntry segment in result.Segments)
        {
            if (!segment.RecordsChecked) notRead++;
        }

        result.SegmentsNotRead = notRead;
        result.RecordsScanned = records;
        return result;
    }

    /// <summary>What a segment's check found on its own (everything but the link to the previous segment).</summary>
    private struct SegmentScan
    {
        public SegmentEntry? Entry;   // header valid and records walked (up to Fault, if any)
        public JournalFault? Fault;   // the first fault in the segment
        public bool HeaderFault;      // Fault came from the header, before any record: its Index is set by the caller
        public SegmentHeader Header;  // valid when Entry is set
        public long Records;          // valid records walked
        public ExceptionDispatchInfo? Error; // an I/O error: rethrown where one thread reading in order would have met it
    }

    /// <summary>
    /// Fills <paramref name="scans"/> with <paramref name="threads"/> threads taking segments in order; none starts a
    /// segment after one already found faulty (an in-order scan stops there).
    /// </summary>
    private static void ScanInParallel(List<(long FirstIndex, string Path)> files, SegmentScan[] scans, int firstKept, int threads, int firstWalked)
    {
        int next = -1;
        int firstFaulty = int.MaxValue;
        void Work()
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= files.Count || i > Volatile.Read(ref firstFaulty)) return;
                bool isLast = i == files.Count - 1;
                scans[i] = ScanAlone(files[i].Path, files[i].FirstIndex, i, isLast, dropAfter: i < firstKept, headerOnly: i < firstWalked);
                if (scans[i].Fault is not null || scans[i].Error is not null)
                {
                    int seen = Volatile.Read(ref firstFaulty);
                    while (i < seen && Interlocked.CompareExchange(ref firstFaulty, i, seen) != seen) seen = Volatile.Read(ref firstFaulty);
                }
            }
        }

        // Work cannot throw (each segment's errors are kept in its slot), as ParallelWork requires.
        ParallelWork.Run(threads, "journal-scan", _ => Work());
    }

    private static SegmentScan ScanAlone(string path, long nameFirstIndex, int ordinal, bool isLast, bool dropAfter, bool headerOnly)
    {
        var scan = new SegmentScan();
        try
        {
            using SegmentFile segment = SegmentFile.OpenRead(path);
            // Validated front to back, once: after drop-behind (or a reboot) these bytes come from disk. A header-only
            // check reads one page and must not ask for the rest.
            if (!headerOnly) segment.AdviseSequentialRead();
            ScanSegment(segment, nameFirstIndex, ordinal, isLast, headerOnly, ref scan);
            if (dropAfter && !headerOnly) segment.DropCached(0, segment.MappedBytes);
        }
        catch (JournalCorruptException e)
        {
            scan.Entry = null;
            scan.HeaderFault = false;
            scan.Fault = new JournalFault
            {
                Kind = JournalFaultKind.Corrupt, FilePath = e.FilePath, OffsetBytes = e.Offset, Index = e.Index,
                Reason = e.Reason, SegmentOrdinal = ordinal, CutOffsetBytes = 0,
            };
        }
        catch (Exception e)
        {
            // Kept, not thrown: on a helper thread it would end the process. The caller rethrows it in order.
            scan = new SegmentScan { Error = ExceptionDispatchInfo.Capture(e) };
        }

        return scan;
    }

    private static void ScanSegment(SegmentFile segment, long nameFirstIndex, int ordinal, bool isLast, bool headerOnly, ref SegmentScan scan)
    {
        ReadOnlySpan<byte> bytes = segment.Bytes;
        string path = segment.Path;
        scan.HeaderFault = true; // until the records are reached
        int headerPrefix = Math.Min(bytes.Length, SegmentHeader.SizeBytes);
        if (bytes.Length < SegmentHeader.SizeBytes || !bytes[..headerPrefix].ContainsAnyExcept((byte)0))
        {
            // Last segment: a header-less or partial-header file with no records is an interrupted roll.
            if (isLast && (bytes.Length < SegmentHeader.SizeBytes || !bytes.ContainsAnyExcept((byte)0)))
            {
                // Created (and maybe preallocated) but the header never reached the disk: an interrupted roll.
                scan.Fault = Fault(JournalFaultKind.TornTail, path, 0, null, "segment header missing (interrupted segment creation)", ordinal, 0);
                return;
            }

            string why = bytes.Length < SegmentHeader.SizeBytes
                ? $"file of {bytes.Length} bytes is shorter than the {SegmentHeader.SizeBytes}-byte segment header"
                : "segment header is all zeros but the file holds data";
            scan.Fault = Fault(JournalFaultKind.Corrupt, path, 0, null, why, ordinal, 0);
            return;
        }

        SegmentHeader header = SegmentHeader.Read(bytes);
        string? reason = SegmentHeader.Validate(bytes, header, out long fieldOffset);
        if (reason is not null && isLast && !bytes[SegmentHeader.SizeBytes..].ContainsAnyExcept((byte)0))
        {
            // A bad header with nothing after it in the last segment: the roll that created it was interrupted.
            scan.Fault = Fault(JournalFaultKind.TornTail, path, fieldOffset, null, "incomplete segment header (interrupted segment creation): " + reason, ordinal, 0);
            return;
        }
        if (reason is null && header.FirstIndex != nameFirstIndex)
        {
            reason = $"header first index {header.FirstIndex} does not match the file name's {nameFirstIndex}";
            fieldOffset = SegmentHeader.FirstIndexOffset;
        }

        if (reason is null && bytes.Length > header.SegmentSizeBytes)
        {
            reason = $"file length {bytes.Length} exceeds the header's segment size {header.SegmentSizeBytes}";
            fieldOffset = header.SegmentSizeBytes;
        }

        if (reason is not null)
        {
            scan.Fault = Fault(JournalFaultKind.Corrupt, path, fieldOffset, null, reason, ordinal, 0);
            return;
        }

        // The link to the previous segment (CheckContinuity) is the caller's: it needs that segment's end.
        scan.HeaderFault = false;
        scan.Header = header;
        ChainState state = ChainState.FromSegmentHeader(header);
        var entry = new SegmentEntry
        {
            Path = path, FirstIndex = header.FirstIndex, SegmentSizeBytes = header.SegmentSizeBytes, StartState = state,
        };
        if (headerOnly)
        {
            // Records unread: the end is bounded by the file, the end state comes from the next header (the caller).
            entry.RecordsChecked = false;
            entry.EndOffsetBytes = Math.Min(bytes.Length, header.SegmentSizeBytes);
            entry.EndState = state;
            scan.Entry = entry;
            return;
        }

        long offset = SegmentHeader.SizeBytes;
        scan.Fault = WalkRecords(bytes, header.SegmentSizeBytes, path, ordinal, isLast, ref state, ref offset, long.MaxValue, ref scan.Records, segment);
        entry.EndOffsetBytes = offset;
        entry.EndState = state;
        scan.Entry = entry;
    }

    /// <summary>Null when a segment starting with <paramref name="header"/> may follow a segment ending in <paramref name="state"/>.</summary>
    internal static string? CheckContinuity(in SegmentHeader header, in ChainState state, out long fieldOffset)
    {
        fieldOffset = SegmentHeader.FirstIndexOffset;
        if (header.FirstIndex != state.NextIndex)
        {
            return $"index gap: segment starts at index {header.FirstIndex} but the previous segment ends before index {state.NextIndex}";
        }

        fieldOffset = SegmentHeader.ChainSeedOffset;
        if (header.ChainSeed != state.LastChecksum)
        {
            return $"hash chain broken: segment seed 0x{header.ChainSeed:X8}, previous record checksum 0x{state.LastChecksum:X8}";
        }

        fieldOffset = SegmentHeader.PrevTermOffset;
        if (header.PrevTerm != state.LastTerm || header.PrevTimestamp != state.LastTimestamp)
        {
            return "segment header previous term/timestamp do not match the previous segment's last record";
        }

        return null;
    }

    /// <summary>
    /// Validates records from <paramref name="offset"/> until <paramref name="stopAtIndex"/> is next or the
    /// records end (then checks the rest of the segment is zero). On return <paramref name="offset"/> is where
    /// valid data ends and <paramref name="state"/> chains after the last valid record.
    /// </summary>
    /// <remarks><paramref name="file"/>: the segment the bytes map, when at hand; its holes are skipped by the zero-tail check.</remarks>
    public static JournalFault? WalkRecords(
        ReadOnlySpan<byte> bytes, long segmentSizeBytes, string path, int ordinal, bool isLast,
        ref ChainState state, ref long offset, long stopAtIndex, ref long records, SegmentFile? file = null)
    {
        while (state.NextIndex != stopAtIndex)
        {
            long p = offset;
            if (segmentSizeBytes - p < JournalRecordHeader.SizeBytes)
            {
                return CheckZeroTail(bytes, p, path, ordinal, state, file);
            }

            int lengthBytes = ReadInt32OrZero(bytes, p);
            if (lengthBytes == 0)
            {
                return CheckZeroTail(bytes, p, path, ordinal, state, file);
            }

            string? reason = ValidateRecord(bytes, segmentSizeBytes, p, state, out JournalRecordHeader h, out _);
            if (reason is not null)
            {
                return ClassifyBadRecord(bytes, segmentSizeBytes, p, lengthBytes, path, ordinal, isLast, state, reason);
            }

            offset = p + h.TotalLengthBytes;
            state.NextIndex = h.Index + 1;
            state.LastChecksum = h.Checksum;
            state.LastTerm = h.Term;
            state.LastTimestamp = h.Timestamp;
            records++;
        }

        return null;
    }

    /// <summary>
    /// Null when the record at <paramref name="p"/> is valid and is the one <paramref name="state"/> expects.
    /// <paramref name="record"/> is the whole on-disk record; bytes past the end of a truncated file read as zeros.
    /// </summary>
    public static string? ValidateRecord(
        ReadOnlySpan<byte> bytes, long segmentSizeBytes, long p, in ChainState state, out JournalRecordHeader h, out ReadOnlySpan<byte> record)
    {
        record = default;
        h = JournalRecordHeader.Read(ZeroExtended(bytes, p, JournalRecordHeader.SizeBytes));
        int total = h.TotalLengthBytes;
        if (!IsPlausibleLength(total, segmentSizeBytes - p))
        {
            return $"record length {total} is invalid (needs a multiple of 8, >= {JournalRecordHeader.SizeBytes}, <= {segmentSizeBytes - p} bytes left in the segment)";
        }

        if (h.PayloadLength < 0 || h.PayloadLength > total - JournalRecordHeader.SizeBytes
            || JournalRecordHeader.RecordBytesOnDisk(h.PayloadLength) != total)
        {
            return $"payload length {h.PayloadLength} is inconsistent with record length {total}";
        }

        record = ZeroExtended(bytes, p, total);
        uint crc = JournalRecordHeader.ComputeChecksum(record, record.Slice(JournalRecordHeader.SizeBytes, h.PayloadLength));
        if (crc != h.Checksum)
        {
            return $"checksum mismatch (stored 0x{h.Checksum:X8}, computed 0x{crc:X8})";
        }

        if (record[(JournalRecordHeader.SizeBytes + h.PayloadLength)..].ContainsAnyExcept((byte)0))
        {
            return "record padding is not zero";
        }

        if (h.Type == 0 || h.Reserved != 0)
        {
            return "record type 0 or non-zero reserved field";
        }

        if (h.Index != state.NextIndex)
        {
            return $"index {h.Index} where {state.NextIndex} was expected";
        }

        if (h.PrevChecksum != state.LastChecksum)
        {
            return $"hash chain broken: previous checksum 0x{h.PrevChecksum:X8}, expected 0x{state.LastChecksum:X8}";
        }

        if (h.Term < 0 || h.Timestamp < state.LastTimestamp)
        {
            return $"timestamp {h.Timestamp} goes back from {state.LastTimestamp} (or negative term {h.Term})";
        }

        return null;
    }

    private static JournalFault ClassifyBadRecord(
        ReadOnlySpan<byte> bytes, long segmentSizeBytes, long p, int lengthBytes, string path, int ordinal, bool isLast,
        in ChainState state, string reason)
    {
        if (isLast)
        {
            // A crash can only leave a prefix of the last record: its declared extent may hold garbage,
            // but nothing after that extent may be non-zero and no later record may hide inside it.
            long extent = IsPlausibleLength(lengthBytes, segmentSizeBytes - p) ? lengthBytes : sizeof(int);
            long after = Math.Min(p + extent, bytes.Length);
            int nonZero = bytes[(int)after..].IndexOfAnyExcept((byte)0);
            if (nonZero < 0 && !HasValidSuccessor(bytes, segmentSizeBytes, p, after, state.NextIndex + 1))
            {
                return Fault(JournalFaultKind.TornTail, path, p, state.NextIndex, "torn last record: " + reason, ordinal, p);
            }

            if (nonZero >= 0)
            {
                reason += $"; followed by non-zero bytes at offset {after + nonZero}";
            }
            else
            {
                reason += "; followed by a valid later record";
            }
        }

        return Fault(JournalFaultKind.Corrupt, path, p, state.NextIndex, reason, ordinal, p);
    }

    private static bool HasValidSuccessor(ReadOnlySpan<byte> bytes, long segmentSizeBytes, long p, long limit, long successorIndex)
    {
        for (long q = p + JournalRecordHeader.AlignmentBytes; q + JournalRecordHeader.SizeBytes <= limit; q += JournalRecordHeader.AlignmentBytes)
        {
            if (BinaryPrimitives.ReadInt64LittleEndian(bytes[((int)q + JournalRecordHeader.IndexOffset)..]) != successorIndex)
            {
                continue;
            }

            JournalRecordHeader h = JournalRecordHeader.Read(bytes[(int)q..]);
            if (!IsPlausibleLength(h.TotalLengthBytes, segmentSizeBytes - q)
                || h.PayloadLength < 0 || h.PayloadLength > h.TotalLengthBytes - JournalRecordHeader.SizeBytes)
            {
                continue;
            }

            ReadOnlySpan<byte> record = ZeroExtended(bytes, q, h.TotalLengthBytes);
            if (JournalRecordHeader.ComputeChecksum(record, record.Slice(JournalRecordHeader.SizeBytes, h.PayloadLength)) == h.Checksum)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Null when every byte from <paramref name="p"/> to the end of the file is zero (a segment's records end at p).</summary>
    internal static JournalFault? CheckZeroTail(ReadOnlySpan<byte> bytes, long p, string path, int ordinal, in ChainState state, SegmentFile? file = null)
    {
        if (p >= bytes.Length)
        {
            return null;
        }

        // With the file at hand its holes (a preallocated segment's unwritten rest) are skipped, not zero-filled and read.
        long q = file is not null ? file.FirstNonZeroFrom(p) : bytes[(int)p..].IndexOfAnyExcept((byte)0) is int i and >= 0 ? p + i : -1;
        if (q < 0)
        {
            return null;
        }

        return Fault(JournalFaultKind.Corrupt, path, q, state.NextIndex,
            $"non-zero byte at offset {q} after the end of the records (records end at offset {p})", ordinal, p);
    }

    private static bool IsPlausibleLength(long lengthBytes, long bytesLeftInSegment) =>
        lengthBytes >= JournalRecordHeader.SizeBytes && lengthBytes % JournalRecordHeader.AlignmentBytes == 0 && lengthBytes <= bytesLeftInSegment;

    /// <summary>[p, p + length) of the segment; bytes a truncated file lacks read as zeros (rare path: copies).</summary>
    public static ReadOnlySpan<byte> ZeroExtended(ReadOnlySpan<byte> bytes, long p, int length)
    {
        if (p + length <= bytes.Length)
        {
            return bytes.Slice((int)p, length);
        }

        byte[] copy = new byte[length];
        if (p < bytes.Length)
        {
            bytes[(int)p..].CopyTo(copy);
        }

        return copy;
    }

    public static int ReadInt32OrZero(ReadOnlySpan<byte> bytes, long p)
    {
        // Bytes past the end of a truncated file count as zeros.
        if (p + sizeof(int) <= bytes.Length)
        {
            return BinaryPrimitives.ReadInt32LittleEndian(bytes[(int)p..]);
        }

        int value = 0;
        for (long i = p; i < bytes.Length; i++)
        {
            value |= bytes[(int)i] << (int)(8 * (i - p));
        }

        return value;
    }

    private static JournalFault Fault(JournalFaultKind kind, string path, long offset, long? index, string reason, int ordinal, long cut) => new()
    {
        Kind = kind, FilePath = path, OffsetBytes = offset, Index = index, Reason = reason, SegmentOrdinal = ordinal, CutOffsetBytes = cut,
    };
}
