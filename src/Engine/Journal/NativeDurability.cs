using System.ComponentModel;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Journal;

/// <summary>
/// The syscalls .NET does not expose: msync on a sub-range (MemoryMappedViewAccessor.Flush syncs the
/// whole view) and fsync of a directory (needed so a created/deleted segment file survives power loss).
/// On non-Linux hosts we fall back to the view's Flush and skip the directory sync.
/// </summary>
internal static unsafe partial class NativeDurability
{
    private const int MsSync = 4; // Linux MS_SYNC: write back and wait (vfs_fsync_range, includes the device flush).
    private const int ORdOnly = 0;

    public static void SyncRange(byte* basePointer, MemoryMappedViewAccessor view, long offsetBytes, long lengthBytes)
    {
        if (lengthBytes <= 0)
        {
            return;
        }

        if (!OperatingSystem.IsLinux())
        {
            view.Flush();
            return;
        }

        long pageBytes = Environment.SystemPageSize;
        long start = offsetBytes & ~(pageBytes - 1);
        long end = offsetBytes + lengthBytes;
        if (Msync((nint)(basePointer + start), (nuint)(end - start), MsSync) != 0)
        {
            throw new IOException($"msync failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }
    }

    private const int MadvPopulateWrite = 23; // Linux >= 5.14.
    private const int EInval = 22;
    private const int ENoSys = 38;
    private const int EPerm = 1;
    private static volatile bool s_populateUnsupported = !OperatingSystem.IsLinux();

    /// <summary>
    /// Pre-faults [offset, offset+length) of a writable shared mapping (madvise MADV_POPULATE_WRITE) so later
    /// stores into it take no first-touch page faults. Purely a performance hint: the pages are zero page-cache
    /// pages of a preallocated file, so their contents (and what can reach the disk) do not change. Returns false
    /// when the kernel lacks the advice (remembered process-wide, so we ask only once); other errors are ignored
    /// because the stores that follow fault the pages in anyway and report real I/O problems themselves.
    /// </summary>
    public static bool PopulateWrite(byte* basePointer, long offsetBytes, long lengthBytes) =>
        Populate(basePointer, offsetBytes, lengthBytes, MadvPopulateWrite);

    /// <summary>
    /// MADV_POPULATE_READ: brings the range's page-cache pages in and maps them read-only, dirtying nothing. The
    /// writer's first store per page then takes only a minor write fault (no zero-fill, no read-ahead). Used under
    /// fsync batch/always, where pages dirtied ahead of the writer would be written back (as zeros) while the
    /// writer's own syncs wait behind that I/O (docs/BENCHMARKS.md §15).
    /// </summary>
    public static bool PopulateRead(byte* basePointer, long offsetBytes, long lengthBytes) =>
        Populate(basePointer, offsetBytes, lengthBytes, MadvPopulateRead);

    private const int MadvPopulateRead = 22; // Linux >= 5.14.

    private static bool Populate(byte* basePointer, long offsetBytes, long lengthBytes, int advice)
    {
        if (s_populateUnsupported || lengthBytes <= 0)
        {
            return false;
        }

        long pageBytes = Environment.SystemPageSize;
        long start = offsetBytes & ~(pageBytes - 1);
        long end = offsetBytes + lengthBytes;
        if (Madvise((nint)(basePointer + start), (nuint)(end - start), advice) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is EInval or ENoSys or EPerm)
            {
                // EINVAL: kernel < 5.14 does not know the advice; ENOSYS/EPERM: filtered by a seccomp policy.
                s_populateUnsupported = true;
            }

            return false;
        }

        return true;
    }

    private const int MadvRandom = 1;

    /// <summary>
    /// madvise(MADV_RANDOM) on a mapping the journal writes while a prefaulter populates it: page faults there then read
    /// no file read-ahead. A write fault on a fresh segment otherwise zero-fills read-ahead's whole window of the
    /// preallocated file in one non-preemptible call (measured: 17–24 ms on this VM, docs/BENCHMARKS.md §15), on
    /// whichever thread touched the page. Best effort: a refusal leaves the default advice.
    /// </summary>
    public static void AdviseNoReadAhead(byte* basePointer, long lengthBytes)
    {
        if (!OperatingSystem.IsLinux() || lengthBytes <= 0)
        {
            return;
        }

        _ = Madvise((nint)basePointer, (nuint)lengthBytes, MadvRandom);
    }

    private const int PosixFadvDontNeed = 4;
    private const int MadvDontNeed = 4;

    /// <summary>
    /// Drop-behind of [offset, offset+length) of a segment: unmaps the range from the writer's own mapping
    /// (MADV_DONTNEED on a shared file mapping only drops page-table entries; dirty data stays in the page cache), then
    /// POSIX_FADV_DONTNEED on the file, which starts writeback of dirty pages and evicts the clean, unmapped ones. Never
    /// changes a byte of the file. Best effort: false when the kernel refused (pages then stay cached, as without it).
    /// </summary>
    public static bool DropCached(SafeHandle file, byte* basePointer, long offsetBytes, long lengthBytes)
    {
        if (!OperatingSystem.IsLinux() || lengthBytes <= 0) return false;
        long pageBytes = Environment.SystemPageSize;
        long start = offsetBytes & ~(pageBytes - 1);
        long end = (offsetBytes + lengthBytes) & ~(pageBytes - 1);
        if (end <= start) return false;
        ReleaseMapped(basePointer, start, end - start);
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return PosixFadvise((int)file.DangerousGetHandle(), start, end - start, PosixFadvDontNeed) == 0;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    /// <summary>
    /// Bytes of [0, length) of the file mapped at <paramref name="basePointer"/> that are in the page cache (mincore over a
    /// shared mapping reports the file's pages whether or not this mapping touched them). Diagnostics and tests; -1 when
    /// the kernel refuses.
    /// </summary>
    public static long ResidentBytes(byte* basePointer, long lengthBytes)
    {
        if (!OperatingSystem.IsLinux() || lengthBytes <= 0) return 0;
        long pageBytes = Environment.SystemPageSize;
        long pages = (lengthBytes + pageBytes - 1) / pageBytes;
        byte[] vector = new byte[pages];
        fixed (byte* v = vector)
        {
            if (Mincore((nint)basePointer, (nuint)lengthBytes, v) != 0) return -1;
        }

        long resident = 0;
        for (long i = 0; i < pages; i++) resident += vector[i] & 1;
        return resident * pageBytes;
    }

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int Mincore(nint address, nuint lengthBytes, byte* vector);

    /// <summary>
    /// MADV_DONTNEED on [offset, offset+length) of a shared file mapping (page-aligned inward): this mapping's page-table
    /// entries go, the page cache keeps the pages (dirty data included) and a later access faults them back in. What
    /// lets drop-behind evict pages a reader has passed: the kernel does not evict a page that any mapping still maps.
    /// </summary>
    public static void ReleaseMapped(byte* basePointer, long offsetBytes, long lengthBytes)
    {
        if (!OperatingSystem.IsLinux() || basePointer == null || lengthBytes <= 0) return;
        long pageBytes = Environment.SystemPageSize;
        long start = (offsetBytes + pageBytes - 1) & ~(pageBytes - 1);
        long end = (offsetBytes + lengthBytes) & ~(pageBytes - 1);
        if (end > start) _ = Madvise((nint)(basePointer + start), (nuint)(end - start), MadvDontNeed);
    }

    private const int MadvSequential = 2;
    private const int MadvWillNeed = 3;

    /// <summary>
    /// A mapping about to be read once from start to end (the open's validation scan): MADV_SEQUENTIAL (aggressive
    /// read-ahead) and MADV_WILLNEED (start reading the whole range now, so the disk works while the CPU checks
    /// checksums). Hints only; refusals are ignored.
    /// </summary>
    public static void AdviseSequentialRead(byte* basePointer, long lengthBytes)
    {
        if (!OperatingSystem.IsLinux() || basePointer == null || lengthBytes <= 0) return;
        _ = Madvise((nint)basePointer, (nuint)lengthBytes, MadvSequential);
        _ = Madvise((nint)basePointer, (nuint)lengthBytes, MadvWillNeed);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>pwritev of two buffers at <paramref name="offsetBytes"/>; bytes written, or -1 (see <see cref="LastErrorMessage"/>).</summary>
    public static long WriteGather(SafeHandle file, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, long offsetBytes)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            fixed (byte* a = first)
            fixed (byte* b = second)
            {
                IoVec* vectors = stackalloc IoVec[2];
                vectors[0] = new IoVec { Base = a, Length = (nuint)first.Length };
                vectors[1] = new IoVec { Base = b, Length = (nuint)second.Length };
                while (true)
                {
                    long n = Pwritev(fd, vectors, 2, offsetBytes);
                    if (n >= 0 || Marshal.GetLastPInvokeError() != EIntr) return n;
                }
            }
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    private const int EIntr = 4;

    /// <summary>The last P/Invoke error as text.</summary>
    public static string LastErrorMessage() => new Win32Exception(Marshal.GetLastPInvokeError()).Message;

    [LibraryImport("libc", EntryPoint = "pwritev", SetLastError = true)]
    private static partial long Pwritev(int fd, IoVec* vectors, int count, long offset);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start write-out of dirty pages, do not wait

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long length, uint flags);

    /// <summary>
    /// Starts writing [offset, offset+length) of <paramref name="file"/> to the device without waiting for it (Linux
    /// <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>); the pages stay cached. Not a durability point — a later fsync
    /// still is — but it leaves that fsync only the tail to wait for. Best effort: false off Linux or when refused.
    /// </summary>
    public static bool StartWriteback(SafeHandle file, long offsetBytes, long lengthBytes)
    {
        if (!OperatingSystem.IsLinux() || lengthBytes <= 0) return false;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return SyncFileRange((int)file.DangerousGetHandle(), offsetBytes, lengthBytes, SyncFileRangeWrite) == 0;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    /// <summary>
    /// The first offset at or after <paramref name="offsetBytes"/> that holds data (Linux <c>lseek(SEEK_DATA)</c>), or
    /// <paramref name="fileBytes"/> when only a hole follows. A hole reads as zeros, so a check for zeros may skip it
    /// without reading it (a preallocated, mostly empty segment would otherwise be zero-filled page by page). Where the
    /// file system cannot tell, everything is data: returns <paramref name="offsetBytes"/>.
    /// </summary>
    public static long NextData(SafeHandle file, long offsetBytes, long fileBytes) => Seek(file, offsetBytes, fileBytes, SeekData);

    /// <summary>The first hole at or after <paramref name="offsetBytes"/> (<c>lseek(SEEK_HOLE)</c>; the end of the file is one).</summary>
    public static long NextHole(SafeHandle file, long offsetBytes, long fileBytes) => Seek(file, offsetBytes, fileBytes, SeekHole);

    private static long Seek(SafeHandle file, long offsetBytes, long fileBytes, int whence)
    {
        if (offsetBytes >= fileBytes) return fileBytes;
        if (!OperatingSystem.IsLinux()) return whence == SeekData ? offsetBytes : fileBytes;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            long at = Lseek((int)file.DangerousGetHandle(), offsetBytes, whence);
            if (at >= 0) return Math.Clamp(at, offsetBytes, fileBytes);
            // ENXIO: no data (SEEK_DATA) at or after the offset; anything else: the file system cannot say.
            bool noMoreData = Marshal.GetLastPInvokeError() == Enxio;
            return whence == SeekData ? (noMoreData ? fileBytes : offsetBytes) : fileBytes;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    private const int SeekData = 3; // linux/fs.h
    private const int SeekHole = 4;
    private const int Enxio = 6;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(int fd, long offset, int whence);

    /// <summary>False once the kernel refused MADV_POPULATE_WRITE (or off Linux).</summary>
    public static bool PopulateSupported => !s_populateUnsupported;

    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = OpenPath(directory, ORdOnly);
        if (fd < 0)
        {
            throw new IOException($"open('{directory}') for fsync failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync('{directory}') failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    private static partial int Msync(nint address, nuint lengthBytes, int flags);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint lengthBytes, int advice);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenPath(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
