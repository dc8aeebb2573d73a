using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// FIFO of transfer slots in creation order (the idempotency window). Power-of-two buffer (index by mask,
/// no division) that grows by doubling while warming up; never holds more than the configured maximum.
/// PopBack exists for linked-chain rollback.
/// </summary>
internal sealed class SlotRing
{
    private readonly int _maxCount;
    private int[] _buffer;
    private int _mask;
    private int _head;

    public SlotRing(int maxCount)
    {
        _maxCount = maxCount;
        _buffer = new int[(int)Math.Min(1024, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(maxCount, 1)))];
        _mask = _buffer.Length - 1;
    }

    public int Count { get; private set; }

    public int this[int fromFront]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _buffer[(_head + fromFront) & _mask];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int PeekFront() => _buffer[_head];

    public void PushBack(int slot)
    {
        if (Count == _buffer.Length) Grow();
        _buffer[(_head + Count) & _mask] = slot;
        Count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per-eviction calls in the window loop
    public int PopFront()
    {
        Debug.Assert(Count > 0);
        var slot = _buffer[_head];
        _head = (_head + 1) & _mask;
        Count--;
        return slot;
    }

    public int PopBack()
    {
        Debug.Assert(Count > 0);
        Count--;
        return _buffer[(_head + Count) & _mask];
    }

    /// <summary>Copies the slots, front first, into <paramref name="destination"/> (at most two block copies).</summary>
    public void CopyTo(Span<int> destination)
    {
        if (destination.Length < Count) throw new ArgumentException("destination shorter than the ring", nameof(destination));
        var first = Math.Min(Count, _buffer.Length - _head);
        _buffer.AsSpan(_head, first).CopyTo(destination);
        _buffer.AsSpan(0, Count - first).CopyTo(destination[first..]);
    }

    private void Grow()
    {
        if (Count >= _maxCount) throw new InvalidOperationException("Transfer window capacity exceeded (engine bug: limits bound it).");
        var next = new int[_buffer.Length * 2];
        for (var i = 0; i < Count; i++) next[i] = this[i];
        _buffer = next;
        _mask = next.Length - 1;
        _head = 0;
    }
}
