using System.Diagnostics;

namespace Wallet.Engine.Ledger;

/// <summary>
/// Indexed binary min-heap of pending transfers with a timeout, ordered by (deadline, id). The key is a
/// total order (ids are unique), so the expiry sequence is deterministic whatever the heap's layout.
/// Supports removal by slot (post/void, chain rollback). Allocates only while growing.
/// </summary>
internal sealed class PendingExpiryQueue
{
    private struct Entry
    {
        public long Deadline;
        public UInt128 Id;
        public int Slot;
    }

    private Entry[] _heap = new Entry[64];
    private int[] _positionBySlot = [];

    public int Count { get; private set; }

    public void EnsureSlotCapacity(int slots)
    {
        if (_positionBySlot.Length >= slots) return;
        var old = _positionBySlot.Length;
        Array.Resize(ref _positionBySlot, Math.Max(slots, old * 2));
        _positionBySlot.AsSpan(old).Fill(-1);
    }

    public bool TryPeek(out long deadline, out int slot)
    {
        if (Count == 0)
        {
            deadline = 0;
            slot = -1;
            return false;
        }

        deadline = _heap[0].Deadline;
        slot = _heap[0].Slot;
        return true;
    }

    public bool Contains(int slot) => _positionBySlot[slot] >= 0;

    public void Push(int slot, long deadline, UInt128 id)
    {
        Debug.Assert(_positionBySlot[slot] < 0);
        if (Count == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        _heap[Count] = new Entry { Deadline = deadline, Id = id, Slot = slot };
        _positionBySlot[slot] = Count;
        Count++;
        SiftUp(Count - 1);
    }

    public void Remove(int slot)
    {
        var i = _positionBySlot[slot];
        Debug.Assert(i >= 0);
        _positionBySlot[slot] = -1;
        Count--;
        if (i == Count) return;
        _heap[i] = _heap[Count];
        _positionBySlot[_heap[i].Slot] = i;
        SiftDown(i);
        SiftUp(i);
    }

    public void Clear()
    {
        for (var i = 0; i < Count; i++) _positionBySlot[_heap[i].Slot] = -1;
        Count = 0;
    }

    private static bool Less(in Entry a, in Entry b) => a.Deadline != b.Deadline ? a.Deadline < b.Deadline : a.Id < b.Id;

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Less(_heap[i], _heap[parent])) break;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= Count) break;
            var smallest = left;
            var right = left + 1;
            if (right < Count && Less(_heap[right], _heap[left])) smallest = right;
            if (!Less(_heap[smallest], _heap[i])) break;
            Swap(i, smallest);
            i = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (_heap[a], _heap[b]) = (_heap[b], _heap[a]);
        _positionBySlot[_heap[a].Slot] = a;
        _positionBySlot[_heap[b].Slot] = b;
    }
}
