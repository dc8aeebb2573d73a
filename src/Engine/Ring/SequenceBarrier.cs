namespace Wallet.Engine.Ring;

/// <summary>
/// The consumer side of the contract: waits until a sequence is published (by the cursor's owner) and processed
/// by every dependent (upstream) consumer, and carries the alert flag used to halt a waiting consumer.
/// One barrier belongs to one consumer: an alert wakes everyone waiting on it.
/// </summary>
public sealed class SequenceBarrier
{
    private readonly ISequencer? _sequencer;
    private readonly IWaitStrategy _waitStrategy;
    private readonly Sequence _cursor;
    private readonly Sequence[] _dependents;
    private volatile bool _alerted;

    internal SequenceBarrier(ISequencer? sequencer, IWaitStrategy waitStrategy, Sequence cursor, Sequence[] dependents)
    {
        ArgumentNullException.ThrowIfNull(waitStrategy);
        ArgumentNullException.ThrowIfNull(cursor);
        ArgumentNullException.ThrowIfNull(dependents);
        foreach (Sequence d in dependents)
        {
            ArgumentNullException.ThrowIfNull(d, nameof(dependents));
        }
        // A single producer publishes in order, so its cursor already is the contiguous published prefix: skip the
        // per-wait call (it would also read the sequencer's header, which shares a cache line with producer state).
        _sequencer = sequencer is SingleProducerSequencer ? null : sequencer;
        _waitStrategy = waitStrategy;
        _cursor = cursor;
        // No upstream consumers: the cursor itself is what we depend on. Copy so callers cannot mutate our set.
        _dependents = dependents.Length == 0 ? [cursor] : (Sequence[])dependents.Clone();
    }

    /// <summary>
    /// A barrier over an arbitrary <paramref name="cursor"/> advanced by some other component (e.g. a journal's commit
    /// position), plus optional <paramref name="dependents"/>. Every sequence up to the cursor value is taken as published.
    /// Whoever advances <paramref name="cursor"/> must do so with a release store (<see cref="Sequence.SetValue"/>)
    /// after making the data visible, and must call <paramref name="waitStrategy"/>.<see cref="IWaitStrategy.SignalAllWhenBlocking"/>
    /// afterwards, or a consumer blocked in a blocking strategy may never wake.
    /// </summary>
    public static SequenceBarrier ForSequence(Sequence cursor, IWaitStrategy waitStrategy, params Sequence[] dependents) =>
        new(null, waitStrategy, cursor, dependents ?? []);

    /// <summary>The cursor this barrier tracks (see <see cref="ISequencer.Cursor"/> for multi-producer meaning).</summary>
    public long Cursor => _cursor.Value;

    public bool IsAlerted => _alerted;

    /// <summary>
    /// Blocks (per the wait strategy) until <paramref name="sequence"/> is available and returns the highest available
    /// sequence, which is &gt;= <paramref name="sequence"/> and, for a multi-producer ring, the end of the contiguous
    /// published run. Everything written to slots up to the returned value is visible to the caller (acquire).
    /// Throws <see cref="AlertException"/> if alerted, <see cref="WaitTimeoutException"/> on a strategy timeout.
    /// </summary>
    public long WaitFor(long sequence)
    {
        CheckAlert();
        long available = _waitStrategy.WaitFor(sequence, _cursor, _dependents, this);
        if (_sequencer is null || available < sequence)
        {
            return available;
        }

        long published = _sequencer.GetHighestPublishedSequence(sequence, available);
        if (published >= sequence)
        {
            return published;
        }

        // Multi-producer: the slot is claimed but its producer has not published yet. The gap is short (claim to
        // publish), so back off politely (spin, then yield) instead of re-entering the strategy in a hot loop. Never
        // Sleep(1): a producer preempted inside that gap (likely on 2 cores) would cost every command behind it a
        // millisecond or more; yielding is what lets that producer run and publish.
        SpinWait spin = default;
        while (true)
        {
            spin.SpinOnce(sleep1Threshold: -1);
            CheckAlert();
            published = _sequencer.GetHighestPublishedSequence(sequence, available);
            if (published >= sequence)
            {
                return published;
            }
        }
    }

    /// <summary>
    /// Non-blocking: the highest sequence available now starting from <paramref name="sequence"/>, or
    /// <paramref name="sequence"/> - 1 when none is. Used to drain on halt and by pollers.
    /// </summary>
    public long GetAvailableNow(long sequence)
    {
        long available = Sequences.Minimum(_dependents);
        if (_cursor.Value < available)
        {
            available = _cursor.Value;
        }
        if (available < sequence)
        {
            return sequence - 1;
        }
        return _sequencer is null ? available : _sequencer.GetHighestPublishedSequence(sequence, available);
    }

    /// <summary>Sets the alert flag and wakes blocked waiters; waits in progress throw <see cref="AlertException"/>.</summary>
    public void Alert()
    {
        _alerted = true;
        _waitStrategy.SignalAllWhenBlocking();
    }

    public void ClearAlert() => _alerted = false;

    /// <summary>Throws <see cref="AlertException"/> if alerted. Wait strategies call it on every loop iteration.</summary>
    public void CheckAlert()
    {
        if (_alerted)
        {
            throw AlertException.Instance;
        }
    }
}
