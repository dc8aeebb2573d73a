using System.Globalization;
using System.IO.MemoryMappedFiles;

namespace Wallet.Engine.Journal;

/// <summary>
/// One memory-mapped segment file. Read-only mappings cover min(file length, segment size): bytes a
/// truncated file lacks are treated as zeros by the scanner. Writable mappings always cover the
/// full segment (a short file is extended with zeros first).
/// </summary>
internal sealed unsafe class SegmentFile : IDisposable
{
    public const string Extension = ".seg";
    private const int IndexDigits = 20;

    private readonly FileStream _stream;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    /// <summary>Taken by <see cref="Prefault"/> (another thread: <see cref="SegmentPrefaulter"/>) and by Dispose's unmap.</summary>
    private readonly Lock _mapGate = new();

    private SegmentFile(string path, FileStream stream, long mappedBytes, bool writable)
    {
        Path = path;
        _stream = stream;
        MappedBytes = mappedBytes;
        Writable = writable;
        if (mappedBytes == 0)
        {
            return; // mmap of zero bytes is not allowed; an empty file simply has no bytes.
        }

        MemoryMappedFileAccess access = writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read;
        _map = MemoryMappedFile.CreateFromFile(stream, null, mappedBytes, access, HandleInheritability.None, leaveOpen: true);
        _view = _map.CreateViewAccessor(0, mappedBytes, access);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + _view.PointerOffset;
    }

    /// <summary>
    /// No file read-ahead on faults in this mapping (MADV_RANDOM): with <see cref="SegmentPrefaulter"/> populating
    /// ahead, a fault must not zero-fill megabytes on the writer's thread. Without a prefaulter it would only make the
    /// writer take one fault per page (measured: closed-loop e2e 234–268k vs 493–529k tx/s), so the journal asks only then.
    /// </summary>
    public void AdviseNoReadAhead()
    {
        lock (_mapGate)
        {
            // The view starts at file offset 0, so the mapping (pointer − PointerOffset) is page-aligned.
            if (_pointer != null && _view is not null) NativeDurability.AdviseNoReadAhead(_pointer - _view.PointerOffset, MappedBytes + _view.PointerOffset);
        }
    }

    public string Path { get; }

    public long MappedBytes { get; }

    public bool Writable { get; }

    public byte* Pointer => _pointer;

    public ReadOnlySpan<byte> Bytes => new(_pointer, checked((int)MappedBytes));

    public Span<byte> WritableBytes
    {
        get
        {
            Invariant.Assert(Writable, "segment is mapped read-only");
            return new Span<byte>(_pointer, checked((int)MappedBytes));
        }
    }

    public static string FileName(string prefix, long firstIndex) =>
        prefix + "-" + firstIndex.ToString("D" + IndexDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + Extension;

    /// <summary>Parses "{prefix}-{20 digits}.seg"; anything else is not one of our segments.</summary>
    public static bool TryParseFirstIndex(string fileName, string prefix, out long firstIndex)
    {
        firstIndex = 0;
        int expectedLength = prefix.Length + 1 + IndexDigits + Extension.Length;
        if (fileName.Length != expectedLength || !fileName.StartsWith(prefix + "-", StringComparison.Ordinal)
            || !fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> digits = fileName.AsSpan(prefix.Length + 1, IndexDigits);
        foreach (char c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out firstIndex) && firstIndex >= 1;
    }

    /// <summary>Segment files of one journal, sorted by first index.</summary>
    public static List<(long FirstIndex, string Path)> List(string directory, string prefix)
    {
        var result = new List<(long, string)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, prefix + "-*" + Extension))
        {
            if (TryParseFirstIndex(System.IO.Path.GetFileName(path), prefix, out long first))
            {
                result.Add((first, path));
            }
        }

        result.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }

    public static SegmentFile OpenRead(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            long length = stream.Length;
            if (length > JournalOptions.MaxSegmentSizeBytes)
            {
                throw new JournalCorruptException(path, JournalOptions.MaxSegmentSizeBytes, null,
                    $"file length {length} exceeds the maximum segment size {JournalOptions.MaxSegmentSizeBytes}");
            }

            return new SegmentFile(path, stream, length, writable: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing segment for writing, extending a truncated file with zeros to its segment size.</summary>
    public static SegmentFile OpenWrite(string path, long segmentSizeBytes)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            if (stream.Length < segmentSizeBytes)
            {
                stream.SetLength(segmentSizeBytes);
            }

            return new SegmentFile(path, stream, segmentSizeBytes, writable: true);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Creates and preallocates a new segment file (fails if it exists).</summary>
    public static SegmentFile Create(string path, long segmentSizeBytes)
    {
        // PreallocationSize reserves the blocks up front (fallocate on Linux) so page faults while appending do
        // not allocate blocks one page at a time and the disk cannot fill up in the middle of a segment.
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            PreallocationSize = segmentSizeBytes,
        });
        try
        {
            stream.SetLength(segmentSizeBytes);
            return new SegmentFile(path, stream, segmentSizeBytes, writable: true);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>msync of [offset, offset+length): after return those bytes survive power loss.</summary>
    public void SyncRange(long offsetBytes, long lengthBytes)
    {
        if (_view is null || lengthBytes <= 0)
        {
            return;
        }

        Invariant.Assert(offsetBytes >= 0 && offsetBytes + lengthBytes <= MappedBytes, "sync range outside the mapping");
        NativeDurability.SyncRange(_pointer, _view, offsetBytes, lengthBytes);
    }

    /// <summary>
    /// Best-effort pre-fault of [offset, offset+length) (clamped to the mapping) so the writer's stores there take
    /// no first-touch faults. Writable mappings only; never changes a byte. False if nothing was populated.
    /// </summary>
    public bool Prefault(long offsetBytes, long lengthBytes, bool dirty = true)
    {
        lock (_mapGate)
        {
            // Under the gate: Dispose cannot unmap the range while the kernel populates it.
            if (!Writable || _pointer == null || offsetBytes < 0 || offsetBytes >= MappedBytes)
            {
                return false;
            }

            long length = Math.Min(lengthBytes, MappedBytes - offsetBytes);
            return dirty ? NativeDurability.PopulateWrite(_pointer, offsetBytes, length) : NativeDurability.PopulateRead(_pointer, offsetBytes, length);
        }
    }

    private static readonly byte[] s_zeros = new byte[SegmentPrefaulter.ChunkBytes];

    /// <summary>
    /// Writes zeros over [offset, offset+length) with <c>pwrite</c> (writable segments only; at most
    /// <see cref="SegmentPrefaulter.ChunkBytes"/> per call). For <see cref="SegmentPrefaulter"/>, which guarantees no
    /// record is being written there. False if nothing was written (disposed, out of range, or an I/O error: the
    /// populate that follows, or the writer's own stores, fault the pages in as before).
    /// </summary>
    public bool WriteZeros(long offsetBytes, long lengthBytes)
    {
        lock (_mapGate)
        {
            // Under the gate: Dispose cannot close the file under the write.
            if (!Writable || _pointer == null || offsetBytes < 0 || lengthBytes <= 0 || offsetBytes >= MappedBytes) return false;
            int length = (int)Math.Min(Math.Min(lengthBytes, MappedBytes - offsetBytes), s_zeros.Length);
            try
            {
                RandomAccess.Write(_stream.SafeFileHandle, s_zeros.AsSpan(0, length), offsetBytes);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> at <paramref name="offsetBytes"/> with <c>pwrite</c> (the journal's staged
    /// records): the page cache is shared with every mapping of the file, so readers and <see cref="SyncRange"/> see
    /// these bytes exactly as if they had been stored through the mapping. Writer thread only.
    /// </summary>
    /// <exception cref="IOException">The write failed (the record is not committed).</exception>
    public void Write(ReadOnlySpan<byte> bytes, long offsetBytes)
    {
        Invariant.Assert(Writable && _pointer != null, "write to a read-only or disposed segment");
        Invariant.Assert(offsetBytes >= 0 && offsetBytes + bytes.Length <= MappedBytes, "write outside the segment");
        RandomAccess.Write(_stream.SafeFileHandle, bytes, offsetBytes);
    }

    /// <summary>
    /// <paramref name="first"/> then <paramref name="second"/>, contiguous from <paramref name="offsetBytes"/>, in one
    /// <c>pwritev</c> (a record's header and its caller's payload, without copying them together first). Writer thread only.
    /// </summary>
    /// <exception cref="IOException">The write failed (the record is not committed).</exception>
    public void WriteGather(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, long offsetBytes)
    {
        Invariant.Assert(Writable && _pointer != null, "write to a read-only or disposed segment");
        Invariant.Assert(offsetBytes >= 0 && offsetBytes + first.Length + second.Length <= MappedBytes, "write outside the segment");
        if (!OperatingSystem.IsLinux())
        {
            // No pwritev P/Invoke off Linux: two positioned writes (the record is published only after both).
            RandomAccess.Write(_stream.SafeFileHandle, first, offsetBytes);
            RandomAccess.Write(_stream.SafeFileHandle, second, offsetBytes + first.Length);
            return;
        }

        long written = NativeDurability.WriteGather(_stream.SafeFileHandle, first, second, offsetBytes);
        if (written < 0) throw new IOException($"pwritev to '{Path}' at offset {offsetBytes} failed: {NativeDurability.LastErrorMessage()}");
        // A short write (rare: signals, quotas) is finished by plain writes of what is left.
        if (written < first.Length)
        {
            RandomAccess.Write(_stream.SafeFileHandle, first[(int)written..], offsetBytes + written);
            written = first.Length;
        }
        long inSecond = written - first.Length;
        if (inSecond < second.Length) RandomAccess.Write(_stream.SafeFileHandle, second[(int)inSecond..], offsetBytes + written);
    }

    /// <summary>
    /// The first offset at or after <paramref name="offsetBytes"/> the file holds data at (a hole reads as zeros; see
    /// <see cref="NativeDurability.NextData"/>), or <see cref="MappedBytes"/> when only holes follow.
    /// </summary>
    public long NextDataOffset(long offsetBytes) => NativeDurability.NextData(_stream.SafeFileHandle, offsetBytes, MappedBytes);

    /// <summary>The first hole at or after <paramref name="offsetBytes"/>, or <see cref="MappedBytes"/>.</summary>
    public long NextHoleOffset(long offsetBytes) => NativeDurability.NextHole(_stream.SafeFileHandle, offsetBytes, MappedBytes);

    /// <summary>
    /// Offset of the first non-zero byte in [<paramref name="fromBytes"/>, <see cref="MappedBytes"/>), or -1: reads only
    /// the parts of the file that hold data (holes are zeros by definition), so the empty remainder of a preallocated
    /// segment is not zero-filled into the page cache page by page.
    /// </summary>
    public long FirstNonZeroFrom(long fromBytes)
    {
        ReadOnlySpan<byte> bytes = Bytes;
        long end = bytes.Length;
        long at = fromBytes;
        while (at < end)
        {
            long data = NextDataOffset(at);
            if (data >= end) return -1;
            long hole = Math.Min(NextHoleOffset(data), end);
            if (hole <= data) hole = end; // the file system could not say: the rest is data
            int nonZero = bytes[(int)data..(int)hole].IndexOfAnyExcept((byte)0);
            if (nonZero >= 0) return data + nonZero;
            at = hole;
        }
        return -1;
    }

    /// <summary>Offset of the last non-zero byte in [<paramref name="fromBytes"/>, <see cref="MappedBytes"/>), or -1 (holes skipped, as above).</summary>
    public long LastNonZeroFrom(long fromBytes)
    {
        ReadOnlySpan<byte> bytes = Bytes;
        long end = bytes.Length;
        long at = fromBytes;
        long last = -1;
        while (at < end)
        {
            long data = NextDataOffset(at);
            if (data >= end) break;
            long hole = Math.Min(NextHoleOffset(data), end);
            if (hole <= data) hole = end;
            int nonZero = bytes[(int)data..(int)hole].LastIndexOfAnyExcept((byte)0);
            if (nonZero >= 0) last = data + nonZero;
            at = hole;
        }
        return last;
    }

    /// <summary>
    /// Asks the kernel to write [offset, offset+length) back and evict it from the page cache (see
    /// <see cref="NativeDurability.DropCached"/>). Only for bytes behind the writer: readers still find them, on disk.
    /// </summary>
    public bool DropCached(long offsetBytes, long lengthBytes)
    {
        lock (_mapGate)
        {
            if (_pointer == null || offsetBytes < 0 || offsetBytes >= MappedBytes) return false;
            return NativeDurability.DropCached(_stream.SafeFileHandle, _pointer, offsetBytes, Math.Min(lengthBytes, MappedBytes - offsetBytes));
        }
    }

    /// <summary>
    /// This mapping stops mapping [offset, offset+length) (whole pages inside it; <see cref="NativeDurability.ReleaseMapped"/>):
    /// nothing about the file changes, and reading there again faults the bytes back in. For readers, behind them.
    /// </summary>
    public void ReleaseMapped(long offsetBytes, long lengthBytes)
    {
        lock (_mapGate)
        {
            if (_pointer == null || offsetBytes < 0 || offsetBytes >= MappedBytes) return;
            NativeDurability.ReleaseMapped(_pointer, offsetBytes, Math.Min(lengthBytes, MappedBytes - offsetBytes));
        }
    }

    /// <summary>
    /// This mapping will be read once, front to back: read ahead aggressively, starting now (hints only). Up to the first
    /// hole only: a preallocated segment's unwritten rest is zeros that nobody reads (the checks for zeros skip holes),
    /// and reading it ahead would only fill the page cache with zero pages.
    /// </summary>
    public void AdviseSequentialRead()
    {
        lock (_mapGate)
        {
            if (_pointer == null) return;
            long dataBytes = NextHoleOffset(0);
            NativeDurability.AdviseSequentialRead(_pointer, dataBytes > 0 ? dataBytes : MappedBytes);
        }
    }

    /// <summary>Bytes of the segment file at <paramref name="path"/> now in the page cache (mincore; diagnostics and tests).</summary>
    public static long ResidentBytes(string path)
    {
        using SegmentFile segment = OpenRead(path);
        return segment._pointer == null ? 0 : NativeDurability.ResidentBytes(segment._pointer, segment.MappedBytes);
    }

    /// <summary>fsync of the file itself: makes its size/allocation metadata durable.</summary>
    public void SyncFile() => _stream.Flush(flushToDisk: true);

    public void Dispose()
    {
        lock (_mapGate)
        {
            if (_view is not null && _pointer != null)
            {
                _pointer = null;
                _view.SafeMemoryMappedViewHandle.ReleasePointer();

                // Unmap first: MemoryMappedViewAccessor.Dispose would otherwise msync the whole view, an fsync
                // per close that the FsyncPolicy did not ask for. Durability is decided by SyncRange alone.
                _view.SafeMemoryMappedViewHandle.Dispose();
            }
        }

        _view?.Dispose();
        _map?.Dispose();
        _stream.Dispose();
    }
}
