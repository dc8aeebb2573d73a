namespace Wallet.Engine.Ring;

/// <summary>
/// Blocks on a monitor until the cursor reaches the sequence; then waits for upstream consumers with a
/// spin/yield/sleep backoff (they do not signal). Frees the core while idle; wake-up costs microseconds.
/// Publishers pay one full fence per publish, plus a lock only while some consumer is actually blocked.
/// </summary>
public sealed class BlockingWaitStrategy : IWaitStrategy
{
    private readonly object _gate = new();
    private int _waiterCount;

    public long WaitFor(long sequence, Sequence cursor, Sequence[] dependents, SequenceBarrier barrier)
    {
        if (cursor.Value < sequence)
        {
            lock (_gate)
            {
                // Interlocked = full fence: the waiter count is visible before we re-read the cursor, and the
                // publisher fences between its cursor store and reading the count, so no wake-up is lost.
                Interlocked.Increment(ref _waiterCount);
                try
                {
                    while (cursor.Value < sequence)
                    {
                        barrier.CheckAlert();
                        Monitor.Wait(_gate);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _waiterCount);
                }
            }
        }

        return DependentWait.Until(sequence, dependents, barrier, Timeout.InfiniteTimeSpan);
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
