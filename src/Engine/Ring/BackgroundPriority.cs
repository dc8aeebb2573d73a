using System.Runtime.InteropServices;

namespace Wallet.Engine.Ring;

/// <summary>
/// Lowers the calling thread's scheduling weight (Linux nice +10) for housekeeping threads that must not take a core
/// from the request path: the snapshot writer, the journals' prefaulters, the read model. On a 2-core machine the
/// snapshot writer ran up to 373 ms without a break (its copy, hash and file write) while the BLP, the sequencer and the
/// socket loops waited for the other core (docs/BENCHMARKS.md §15). At nice +10 a waking nice-0 thread preempts it at
/// once and it gets about a tenth of a contended core; when the cores are free it runs at full speed, so its work
/// still finishes. .NET's <see cref="Thread.Priority"/> does nothing on Linux, hence the system call. Best effort:
/// elsewhere, or if refused, nothing changes.
/// </summary>
public static partial class BackgroundPriority
{
    /// <summary>The nice value housekeeping threads run at (0 = normal, 19 = lowest).</summary>
    public const int Nice = 10;

    private const int PrioProcess = 0; // with a thread id: that thread only (Linux threads are tasks)
    private const long SysGettid = 186; // x86-64

    /// <summary>Call first thing on the housekeeping thread itself. True when the kernel applied it.</summary>
    public static bool LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return false;
        try
        {
            long tid = Syscall(SysGettid);
            if (tid <= 0) return false;
            // Never raise a thread of a process already started at a lower priority (nice above ours).
            int current = GetPriority(PrioProcess, (int)tid);
            if (current >= Nice) return true;
            return SetPriority(PrioProcess, (int)tid, Nice) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Lowers every thread of this process whose name starts with <paramref name="namePrefix"/> (native pools we do not
    /// start ourselves, e.g. RocksDB's compaction threads, "rocksdb:low"). Returns how many were lowered; 0 elsewhere
    /// than Linux or when none match. Best effort: a thread that exits meanwhile is skipped.
    /// </summary>
    public static int LowerThreadsNamed(string namePrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(namePrefix);
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return 0;
        int lowered = 0;
        try
        {
            foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                string name;
                try { name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'); }
                catch (IOException) { continue; }
                if (!name.StartsWith(namePrefix, StringComparison.Ordinal) || !int.TryParse(Path.GetFileName(task), out int tid)) continue;
                if (GetPriority(PrioProcess, tid) >= Nice || SetPriority(PrioProcess, tid, Nice) == 0) lowered++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
        }
        return lowered;
    }

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number);

    // glibc returns the nice value itself (-20..19); -1 is also an error marker, harmless here (we then lower).
    [LibraryImport("libc", EntryPoint = "getpriority")]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
