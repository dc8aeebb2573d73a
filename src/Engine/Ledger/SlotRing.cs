using System.Diagnostics;

namespace Wallet.Engine.Ledger;

/// <summary>
/// FIFO of transfer slots in creation order (the idempotency window). Grows by doubling up to a fixed
/// maximum, so it allocates only during warm-up. PopBack exists for linked-chain rollback.
/// </summary>
internal sealed class SlotRing
{
    private readonly int _maxCount;
    private int[] _buffer;
    private int _head;

    public SlotRing(int maxCount)
    {
        _maxCount = maxCount;
        _buffer = new int[Math.Min(Math.Max(maxCount, 1), 1024)];
    }

    public int Count { get; private set; }

    public int this[int fromFront] => _buffer[(_head + fromFront) % _buffer.Length];

    public int PeekFront() => _buffer[_head];

    public void PushBack(int slot)
    {
        if (Count == _buffer.Length) Grow();
        _buffer[(_head + Count) % _buffer.Length] = slot;
        Count++;
    }

    public int PopFront()
    {
        Debug.Assert(Count > 0);
        var slot = _buffer[_head];
        _head = (_head + 1) % _buffer.Length;
        Count--;
        return slot;
    }

    public int PopBack()
    {
        Debug.Assert(Count > 0);
        Count--;
        return _buffer[(_head + Count) % _buffer.Length];
    }

    private void Grow()
    {
        if (_buffer.Length >= _maxCount) throw new InvalidOperationException("Transfer window capacity exceeded (engine bug).");
        var next = new int[Math.Min(_buffer.Length * 2, _maxCount)];
        for (var i = 0; i < Count; i++) next[i] = this[i];
        _buffer = next;
        _head = 0;
    }
}
