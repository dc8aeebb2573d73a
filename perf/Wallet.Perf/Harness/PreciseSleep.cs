using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Wallet.Perf.Harness;

/// <summary>
/// Sleeps the calling thread until an absolute <see cref="Stopwatch"/> timestamp without spending CPU (Linux:
/// <c>clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)</c>, the clock Stopwatch reads there, with the thread's timer
/// slack set to 1 ns so the kernel does not round the wake-up up by its default 50 µs). Used by the `hiccup` scenario,
/// where the lateness of the wake-up is the measurement. Not used to pace load: on this VM a sleeping pacer leaves
/// the vCPUs idle between sends and every wake-up in the measured path then pays the hypervisor's idle exit
/// (measured: e2e p50 at 10k/s 1.4–1.6 ms with it vs 0.4–0.6 ms with the yielding pacer).
/// </summary>
internal static partial class PreciseSleep
{
    private const int ClockMonotonic = 1;   // linux/time.h
    private const int TimerAbsTime = 1;     // linux/time.h
    private const int PrSetTimerSlack = 29; // linux/prctl.h

    [ThreadStatic] private static bool s_slackSet;

    /// <summary>True on Linux when Stopwatch counts CLOCK_MONOTONIC nanoseconds (how .NET implements it there).</summary>
    public static readonly bool IsSupported = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000L;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>Returns at or just after <paramref name="deadlineTicks"/>; at once if it has passed.</summary>
    public static void Until(long deadlineTicks)
    {
        if (!IsSupported)
        {
            Pacing.PaceUntil(deadlineTicks);
            return;
        }
        if (!s_slackSet)
        {
            _ = PrCtl(PrSetTimerSlack, 1, 0, 0, 0); // best effort: without it wake-ups are up to 50 µs later
            s_slackSet = true;
        }
        var at = new TimeSpec { Seconds = deadlineTicks / 1_000_000_000L, Nanoseconds = deadlineTicks % 1_000_000_000L };
        // Absolute deadline: an interrupted sleep (EINTR) just sleeps again to the same instant.
        while (Stopwatch.GetTimestamp() < deadlineTicks)
        {
            if (ClockNanoSleep(ClockMonotonic, TimerAbsTime, in at, IntPtr.Zero) is not (0 or 4)) Thread.Yield();
        }
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanoSleep(int clockId, int flags, in TimeSpec request, IntPtr remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int PrCtl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
