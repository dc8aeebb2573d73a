namespace Wallet.Engine.Ring;

/// <summary>
/// Spins, then yields, then sleeps <see cref="SleepMs"/> per retry. Cheap on CPU, latency up to about a millisecond:
/// for background consumers (journal archiving, metrics) that must not steal cores.
/// </summary>
public sealed class SleepingWaitStrategy : IWaitStrategy
{
    /// <summary>Retries before sleeping: the first half spin, the second half yield.</summary>
    public const int DefaultRetries = 200;

    private readonly int _retries;

    public SleepingWaitStrategy(int retries = DefaultRetries, int sleepMs = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retries);
        ArgumentOutOfRangeException.ThrowIfLessThan(sleepMs, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sleepMs, 1000);
        _retries = retries;
        SleepMs = sleepMs;
    }

    /// <summary>Sleep per retry once spinning and yielding are exhausted (milliseconds).</summary>
    public int SleepMs { get; }

    public long WaitFor(long sequence, Sequence cursor, Sequence[] dependents, SequenceBarrier barrier)
    {
        long available;
        int counter = _retries;
        while ((available = Sequences.Minimum(dependents)) < sequence)
        {
            barrier.CheckAlert();
            if (counter > _retries / 2)
            {
                counter--;
                Thread.SpinWait(1);
            }
            else if (counter > 0)
            {
                counter--;
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(SleepMs);
            }
        }
        return available;
    }

    public void SignalAllWhenBlocking()
    {
        // Sleepers poll; nothing to wake.
    }
}
