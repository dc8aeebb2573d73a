using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Wallet.Gateway.Fix;

/// <summary>
/// The two syncs the FIX store needs that .NET does not expose directly: fdatasync of a file (its data and the size,
/// without the mtime-only inode update fsync also forces — the store rewrites its seqnums slots in place on every
/// message) and fsync of a directory (so a created or renamed store file survives power loss). Off Linux: the
/// portable full flush, and no directory sync. Both throw <see cref="IOException"/> on failure; the caller must then
/// treat everything written since the last good sync as not durable (Linux may already have dropped the dirty pages).
/// </summary>
internal static partial class FixFileSync
{
    private const int ORdOnly = 0;

    public static void DataSync(SafeFileHandle file, string pathForErrors)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(file);
            return;
        }

        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            if (Fdatasync((int)file.DangerousGetHandle()) != 0)
            {
                throw new IOException($"fdatasync('{pathForErrors}') failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
            }
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        int fd = OpenPath(directory, ORdOnly);
        if (fd < 0) throw new IOException($"open('{directory}') for fsync failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync('{directory}') failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenPath(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
