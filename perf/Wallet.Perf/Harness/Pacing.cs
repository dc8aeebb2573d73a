using System.Diagnostics;

namespace Wallet.Perf.Harness;

/// <summary>Time helpers for load loops, in <see cref="Stopwatch"/> ticks. None of them busy-waits for long.</summary>
internal static class Pacing
{
    public static readonly long TicksPerMs = Stopwatch.Frequency / 1000;

    public static long SecondsToTicks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    public static double TicksToSeconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    /// <summary>Coordinator wait: sleeps in slices of at most 50 ms until <paramref name="deadlineTicks"/>.</summary>
    public static void SleepUntil(long deadlineTicks)
    {
        while (true)
        {
            long remaining = deadlineTicks - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            Thread.Sleep((int)Math.Clamp(remaining / TicksPerMs, 1, 50));
        }
    }

    /// <summary>
    /// Fixed-rate sender wait until the intended send time: sleep if far, yield if near (never a pure spin).
    /// Returns immediately if already late (the caller still stamps the intended time: no coordinated omission).
    /// </summary>
    public static void PaceUntil(long intendedTicks)
    {
        while (true)
        {
            long remaining = intendedTicks - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            if (remaining > 2 * TicksPerMs)
            {
                Thread.Sleep(1);
            }
            else
            {
                // Never a pure spin: on 2 cores a spinning pacer keeps its core for a whole scheduler slice
                // (ms under EEVDF) while the threads it is measuring wait to run. sched_yield hands the core to
                // any runnable thread and returns at once when there is none, so pacing stays µs-accurate.
                Thread.Yield();
            }
        }
    }

    /// <summary>Waits (sleeping 1 ms per check) until <paramref name="condition"/> holds; false if <paramref name="limitTicks"/> passes first.</summary>
    public static bool WaitUntil(Func<bool> condition, long limitTicks)
    {
        long deadline = Stopwatch.GetTimestamp() + limitTicks;
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }
            Thread.Sleep(1);
        }
        return true;
    }
}
