using System.Diagnostics;

namespace Wallet.Engine.Ring;

/// <summary>
/// Sequencer for exactly one producer thread. Claims are plain field updates (no atomics); only the
/// <see cref="Publish(long)"/> store is ordered. Calling claim methods from two threads at once is a bug.
/// </summary>
public sealed class SingleProducerSequencer : Sequencer
{
    // Producer-thread-only state: the highest claimed sequence and the last minimum gating sequence seen.
    private long _nextValue = Sequence.InitialValue;
    private long _cachedGatingValue = Sequence.InitialValue;

    public SingleProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
        : base(bufferSize, waitStrategy)
    {
    }

    public override long Next() => Next(1);

    public override long Next(int n)
    {
        ValidateClaimSize(n);
        long current = _nextValue;
        long next = current + n;
        long wrapPoint = next - BufferSize;
        long cachedGating = _cachedGatingValue;

        // Only when the cached view says we might lap a consumer do we read the (shared) gating sequences.
        if (wrapPoint > cachedGating || cachedGating > current)
        {
            // Full fence: consumers must see our last publish before we read their positions, or both could wait.
            CursorSequence.SetValueVolatile(current);
            long minimum;
            SpinWait spin = default;
            while (wrapPoint > (minimum = GetMinimumGatingSequence(current)))
            {
                spin.SpinOnce();
            }
            _cachedGatingValue = minimum;
        }

        _nextValue = next;
        return next;
    }

    public override bool TryNext(out long sequence) => TryNext(1, out sequence);

    public override bool TryNext(int n, out long sequence)
    {
        ValidateClaimSize(n);
        if (!HasAvailableCapacity(n))
        {
            sequence = Sequence.InitialValue;
            return false;
        }
        sequence = _nextValue + n;
        _nextValue = sequence;
        return true;
    }

    private bool HasAvailableCapacity(int n)
    {
        long current = _nextValue;
        long wrapPoint = current + n - BufferSize;
        long cachedGating = _cachedGatingValue;
        if (wrapPoint > cachedGating || cachedGating > current)
        {
            CursorSequence.SetValueVolatile(current);
            long minimum = GetMinimumGatingSequence(current);
            _cachedGatingValue = minimum;
            if (wrapPoint > minimum)
            {
                return false;
            }
        }
        return true;
    }

    public override void Publish(long sequence)
    {
        Debug.Assert(sequence <= _nextValue, "publishing a sequence that was never claimed");
        CursorSequence.SetValue(sequence);
        WaitStrategy.SignalAllWhenBlocking();
    }

    public override void Publish(long lo, long hi)
    {
        Debug.Assert(lo <= hi, "empty publish range");
        Publish(hi);
    }

    public override bool IsAvailable(long sequence)
    {
        long cursor = CursorSequence.Value;
        return sequence <= cursor && sequence > cursor - BufferSize;
    }

    // One producer publishes in order, so everything up to the cursor is contiguous.
    public override long GetHighestPublishedSequence(long lo, long available) => available;

    public override long RemainingCapacity()
    {
        long produced = _nextValue;
        long consumed = GetMinimumGatingSequence(produced);
        return BufferSize - (produced - consumed);
    }
}
