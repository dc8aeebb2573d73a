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

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenPath(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
