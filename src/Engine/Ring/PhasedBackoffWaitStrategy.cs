using System.Diagnostics;

namespace Wallet.Engine.Ring;

/// <summary>
/// Spins for <see cref="SpinNs"/>, then yields for <see cref="YieldNs"/>, then blocks like
/// <see cref="BlockingWaitStrategy"/> (LMAX's phased back-off with a blocking fallback). A consumer that has just
/// finished a batch usually sees the next event within microseconds at steady rates; catching it while still awake
/// saves the futex sleep and wake-up on both sides of the hop (several microseconds of CPU each on a VM, plus the
/// scheduler's delay) — the cost that dominates one-message-at-a-time traffic. A consumer idle for longer than the
/// two budgets sleeps and costs nothing, so an idle server does not burn its cores.
/// Publishers pay what they pay with the blocking strategy: a fence, and a lock only while a consumer is asleep.
/// </summary>
public sealed class PhasedBackoffWaitStrategy : IWaitStrategy
{
    /// <summary>Default spin budget: a few hops' worth of work at 100k messages/s (10 µs apart).</summary>
    public const int DefaultSpinNs = 20_000;
    /// <summary>Default yield budget after the spin.</summary>
    public const int DefaultYieldNs = 50_000;
    /// <summary>Upper bound of either budget: past a millisecond a sleep is cheaper than staying awake.</summary>
    public const int MaxBudgetNs = 1_000_000;

    private static readonly double TicksPerNs = Stopwatch.Frequency / 1e9;

    private readonly BlockingWaitStrategy _fallback = new();
    private readonly long _spinTicks;
    private readonly long _spinAndYieldTicks;

    public PhasedBackoffWaitStrategy(int spinNs = DefaultSpinNs, int yieldNs = DefaultYieldNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spinNs);
        ArgumentOutOfRangeException.ThrowIfNegative(yieldNs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spinNs, MaxBudgetNs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(yieldNs, MaxBudgetNs);
        SpinNs = spinNs;
        YieldNs = yieldNs;
        _spinTicks = (long)(spinNs * TicksPerNs);
        _spinAndYieldTicks = (long)((spinNs + (long)yieldNs) * TicksPerNs);
    }

    public int SpinNs { get; }
    public int YieldNs { get; }

    public long WaitFor(long sequence, Sequence cursor, Sequence[] dependents, SequenceBarrier barrier)
    {
        long available = Sequences.Minimum(dependents);
        if (available >= sequence) return available;

        long startTicks = Stopwatch.GetTimestamp();
        int probes = 0;
        while (true)
        {
            barrier.CheckAlert();
            // The clock is read every 8 probes only: a probe is a few loads, a timestamp read tens of ns.
            if ((++probes & 7) == 0)
            {
                long elapsed = Stopwatch.GetTimestamp() - startTicks;
                if (elapsed >= _spinAndYieldTicks) break;
                if (elapsed >= _spinTicks) Thread.Yield();
                else Thread.SpinWait(8);
            }
            else
            {
                Thread.SpinWait(8);
            }
            available = Sequences.Minimum(dependents);
            if (available >= sequence) return available;
        }
        // Budgets spent: sleep until a publisher signals (the blocking strategy re-checks the cursor under its lock).
        return _fallback.WaitFor(sequence, cursor, dependents, barrier);
    }

    public void SignalAllWhenBlocking() => _fallback.SignalAllWhenBlocking();
}
