using System.Diagnostics;

namespace Wallet.Engine.Ring;

/// <summary>
/// <see cref="BlockingWaitStrategy"/> with a limit: throws <see cref="WaitTimeoutException"/> when the sequence is
/// not available within <see cref="Timeout"/>. The batch processor turns that into <see cref="IEventHandler{T}.OnTimeout"/>
/// (housekeeping such as flushing a partial batch or emitting heartbeats while idle).
/// </summary>
public sealed class TimeoutBlockingWaitStrategy : IWaitStrategy
{
    /// <summary>Longest accepted timeout; longer idles should use <see cref="BlockingWaitStrategy"/>.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    private readonly object _gate = new();
    private int _waiterCount;

    public TimeoutBlockingWaitStrategy(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero || timeout > MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, $"timeout must be in (0, {MaxTimeout}]");
        }
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }

    public long WaitFor(long sequence, Sequence cursor, Sequence[] dependents, SequenceBarrier barrier)
    {
        long startTicks = Stopwatch.GetTimestamp();
        if (cursor.Value < sequence)
        {
            lock (_gate)
            {
                Interlocked.Increment(ref _waiterCount);
                try
                {
                    while (cursor.Value < sequence)
                    {
                        barrier.CheckAlert();
                        TimeSpan remaining = Timeout - Stopwatch.GetElapsedTime(startTicks);
                        if (remaining <= TimeSpan.Zero)
                        {
                            throw WaitTimeoutException.Instance;
                        }
                        Monitor.Wait(_gate, remaining);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _waiterCount);
                }
            }
        }

        TimeSpan left = Timeout - Stopwatch.GetElapsedTime(startTicks);
        return DependentWait.Until(sequence, dependents, barrier, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    public void SignalAllWhenBlocking()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiterCount) != 0)
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }
}
