using System.Diagnostics;

namespace Wallet.Engine.Ring;

/// <summary>
/// Waiting on upstream consumers' sequences, which never signal: spin, then yield, then 1 ms sleeps
/// (<see cref="SpinWait"/>'s escalation), so a blocked downstream consumer does not burn a core.
/// </summary>
internal static class DependentWait
{
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
            if (bounded && Stopwatch.GetElapsedTime(startTicks) >= timeout)
            {
                throw WaitTimeoutException.Instance;
            }
            spin.SpinOnce();
        }
        return available;
    }
}
