namespace Wallet.Engine.Ring;

/// <summary>
/// How a consumer waits for a sequence to become available. Choice on a 2-core box: <see cref="BlockingWaitStrategy"/>
/// or <see cref="TimeoutBlockingWaitStrategy"/> when threads outnumber cores or latency of tens of microseconds is fine;
/// <see cref="YieldingWaitStrategy"/> for low latency while leaving the core to runnable threads;
/// <see cref="SleepingWaitStrategy"/> for background consumers; <see cref="BusySpinWaitStrategy"/> only when every
/// spinning thread owns a core (benchmarks, pinned deployments).
/// </summary>
public interface IWaitStrategy
{
    /// <summary>
    /// Waits until <paramref name="cursor"/> and every one of <paramref name="dependents"/> are at or beyond
    /// <paramref name="sequence"/>, then returns the minimum of <paramref name="dependents"/> (which may exceed it).
    /// <paramref name="dependents"/> is never empty: a barrier with no upstream consumers passes its cursor.
    /// Throws <see cref="AlertException"/> when <paramref name="barrier"/> is alerted, and
    /// <see cref="WaitTimeoutException"/> if the strategy has a timeout and it expires.
    /// </summary>
    long WaitFor(long sequence, Sequence cursor, Sequence[] dependents, SequenceBarrier barrier);

    /// <summary>
    /// Wakes consumers blocked in <see cref="WaitFor"/>. Called after every publish and by <see cref="SequenceBarrier.Alert"/>;
    /// whoever advances a cursor sequence by other means must call it too.
    /// </summary>
    void SignalAllWhenBlocking();
}
