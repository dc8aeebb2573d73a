namespace Wallet.Engine.Ring;

/// <summary>
/// Spins on the dependents with a CPU pause hint. Lowest latency, burns a whole core per waiting consumer:
/// only for threads that own a core. Never use it when threads outnumber cores (it starves the producer).
/// </summary>
public sealed class BusySpinWaitStrategy : IWaitStrategy
{
    public long WaitFor(long sequence, Sequence cursor, Sequence[] dependents, SequenceBarrier barrier)
    {
        long available;
        while ((available = Sequences.Minimum(dependents)) < sequence)
        {
            barrier.CheckAlert();
            Thread.SpinWait(1);
        }
        return available;
    }

    public void SignalAllWhenBlocking()
    {
        // Nothing blocks: spinners see the release store of the cursor directly.
    }
}
