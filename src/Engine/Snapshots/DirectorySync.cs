using System.Runtime.InteropServices;

namespace Wallet.Engine.Snapshots;

/// <summary>
/// fsync of a directory, so that a rename (the commit point of a snapshot) survives power loss. .NET has no
/// managed API for it; on Linux we call open(2)/fsync(2) directly. Best effort elsewhere.
/// </summary>
internal static partial class DirectorySync
{
    private const int O_RDONLY = 0;
    private const int O_DIRECTORY = 0x10000; // Linux x64/arm64 value

    public static bool TrySync(string directory)
    {
        if (!OperatingSystem.IsLinux()) return false;
        int fd = Open(directory, O_RDONLY | O_DIRECTORY);
        if (fd < 0) return false;
        try { return Fsync(fd) == 0; }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
