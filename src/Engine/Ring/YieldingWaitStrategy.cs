namespace Wallet.Engine.Ring;

/// <summary>
/// Spins briefly, then calls <see cref="Thread.Yield"/> on every retry so other runnable threads get the core.
/// Good latency with modest waste; the default for oversubscribed benchmark topologies on 2 cores.
/// </summary>
public sealed class YieldingWaitStrategy : IWaitStrategy
{
    /// <summary>Pause-hint spins before the first yield.</summary>
    public const int SpinTries = 100;

    public long WaitFor(long sequence, Sequence cursor, Sequence[] dependents, SequenceBarrier barrier)
    {
        long available;
        int counter = SpinTries;
        while ((available = Sequences.Minimum(dependents)) < sequence)
        {
            barrier.CheckAlert();
            if (counter > 0)
            {
                counter--;
                Thread.SpinWait(1);
            }
            else
            {
                Thread.Yield();
            }
        }
        return available;
    }

    public void SignalAllWhenBlocking()
    {
        // Nothing blocks.
    }
}
