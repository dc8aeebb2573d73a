using System.Diagnostics;

namespace Wallet.Engine.Ring;

/// <summary>
/// Waiting on upstream consumers' sequences, which never signal: spin, then yield for up to a millisecond, then
/// 1 ms sleeps, so a briefly blocked consumer wakes within microseconds and a long-blocked one does not burn a core.
/// </summary>
internal static class DependentWait
{
    /// <summary>How long to spin/yield before sleeping: about the cost of one Thread.Sleep(1).</summary>
    private static readonly long YieldBudgetTicks = Stopwatch.Frequency / 1000;

    /// <summary>Returns min(dependents) once it is &gt;= sequence; throws on alert or when <paramref name="timeout"/> (if finite) passes.</summary>
    public static long Until(long sequence, Sequence[] dependents, SequenceBarrier barrier, TimeSpan timeout)
    {
        long available = Sequences.Minimum(dependents);
        if (available >= sequence)
        {
            return available;
        }

        bool bounded = timeout != Timeout.InfiniteTimeSpan;
        long startTicks = Stopwatch.GetTimestamp();
        SpinWait spin = default;
        while ((available = Sequences.Minimum(dependents)) < sequence)
        {
            barrier.CheckAlert();
            long elapsed = Stopwatch.GetTimestamp() - startTicks;
            if (bounded && Stopwatch.GetElapsedTime(startTicks) >= timeout)
            {
                throw WaitTimeoutException.Instance;
            }
            // Upstream usually finishes within microseconds: spin/yield through that (SpinWait's default would
            // escalate to Sleep(1) after ~20 tries, i.e. a millisecond or more for a microsecond gap). Sleep only
            // once the wait has outlasted what a sleep costs anyway, so a long stall still frees the core.
            if (elapsed < YieldBudgetTicks)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            else
            {
                Thread.Sleep(1);
            }
        }
        return available;
    }
}
