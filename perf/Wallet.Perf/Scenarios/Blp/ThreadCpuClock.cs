using System.Runtime.InteropServices;

namespace Wallet.Perf.Scenarios.Blp;

/// <summary>
/// CPU time consumed by the calling thread (CLOCK_THREAD_CPUTIME_ID), in ns; -1 where unavailable. Why: on the
/// shared 2-core box wall-clock throughput of a single-threaded phase swings 3x with other engineers' load, while
/// the thread's own CPU time per item only counts the time it actually ran (cache interference still shows).
/// Allocation-free, so it can bracket a measured window without disturbing the allocation figure.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3; // linux/time.h

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    public static long NowNs()
    {
        if (!OperatingSystem.IsLinux()) return -1;
        return ClockGetTime(ClockThreadCpuTimeId, out TimeSpec t) == 0 ? t.Seconds * 1_000_000_000L + t.Nanoseconds : -1;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);
}
