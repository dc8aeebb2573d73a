using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Ring;

/// <summary>
/// Sequencer safe for any number of producer threads. The cursor is the highest <em>claimed</em> sequence
/// (advanced atomically); publication is tracked per slot in an availability buffer holding the lap number
/// ("flag") of the sequence last published in that slot, so consumers can find the contiguous published prefix.
/// </summary>
public sealed class MultiProducerSequencer : Sequencer
{
    // Cache of the minimum gating sequence shared by all producers; padded (it is a Sequence) to avoid false sharing.
    private readonly Sequence _gatingSequenceCache = new();
    private readonly int[] _availableBuffer;
    private readonly int _indexMask;
    private readonly int _indexShift;

    public MultiProducerSequencer(int bufferSize, IWaitStrategy waitStrategy)
        : base(bufferSize, waitStrategy)
    {
        _availableBuffer = new int[bufferSize];
        _availableBuffer.AsSpan().Fill(-1); // lap -1: nothing published yet
        _indexMask = bufferSize - 1;
        _indexShift = BitOperations.Log2((uint)bufferSize);
    }

    public override long Next() => Next(1);

    public override long Next(int n)
    {
        ValidateClaimSize(n);
        long current = CursorSequence.AddAndGet(n) - n;
        long next = current + n;
        long wrapPoint = next - BufferSize;
        long cachedGating = _gatingSequenceCache.Value;
        if (wrapPoint > cachedGating || cachedGating > current)
        {
            long minimum;
            SpinWait spin = default;
            while (wrapPoint > (minimum = GetMinimumGatingSequence(current)))
            {
                spin.SpinOnce();
            }
            _gatingSequenceCache.SetValue(minimum);
        }
        return next;
    }

    public override bool TryNext(out long sequence) => TryNext(1, out sequence);

    public override bool TryNext(int n, out long sequence)
    {
        ValidateClaimSize(n);
        long current;
        long next;
        do
        {
            current = CursorSequence.Value;
            next = current + n;
            if (!HasAvailableCapacity(n, current))
            {
                sequence = Sequence.InitialValue;
                return false;
            }
        }
        while (!CursorSequence.CompareAndSet(current, next));
        sequence = next;
        return true;
    }

    private bool HasAvailableCapacity(int n, long cursor)
    {
        long wrapPoint = cursor + n - BufferSize;
        long cachedGating = _gatingSequenceCache.Value;
        if (wrapPoint > cachedGating || cachedGating > cursor)
        {
            long minimum = GetMinimumGatingSequence(cursor);
            _gatingSequenceCache.SetValue(minimum);
            if (wrapPoint > minimum)
            {
                return false;
            }
        }
        return true;
    }

    public override void Publish(long sequence)
    {
        SetAvailable(sequence);
        WaitStrategy.SignalAllWhenBlocking();
    }

    public override void Publish(long lo, long hi)
    {
        for (long s = lo; s <= hi; s++)
        {
            SetAvailable(s);
        }
        WaitStrategy.SignalAllWhenBlocking();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetAvailable(long sequence)
    {
        // Release store: the slot payload written before is visible to whoever acquires this flag.
        Volatile.Write(ref Slot((int)sequence & _indexMask), Flag(sequence));
    }

    public override bool IsAvailable(long sequence) =>
        Volatile.Read(ref Slot((int)sequence & _indexMask)) == Flag(sequence);

    public override long GetHighestPublishedSequence(long lo, long available)
    {
        for (long s = lo; s <= available; s++)
        {
            if (!IsAvailable(s))
            {
                return s - 1;
            }
        }
        return available;
    }

    public override long RemainingCapacity()
    {
        long produced = CursorSequence.Value;
        long consumed = GetMinimumGatingSequence(produced);
        return BufferSize - (produced - consumed);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Flag(long sequence) => (int)((ulong)sequence >> _indexShift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int Slot(int index) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_availableBuffer), index);
}
