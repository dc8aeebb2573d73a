namespace Wallet.Engine.Partition;

/// <summary>
/// A bounded set of equal-size arrays lent to ring slots for items too large for the slot's own array, and handed back
/// by the slot's last consumer. Lock-free and allocation-free once warm: a fixed row of cells, taken and returned with
/// one interlocked exchange each; a rent finding none allocates (never blocks), a return finding no free cell drops the
/// array to the GC. Memory held: at most <see cref="Capacity"/> idle arrays plus the ones lent out.
/// </summary>
public class BufferPool<T>
{
    private readonly T[]?[] _cells;
    private readonly int _length;
    private long _allocated;

    public BufferPool(int capacity, int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        _cells = new T[]?[capacity];
        _length = length;
    }

    public int Capacity => _cells.Length;

    /// <summary>Length of every array lent.</summary>
    public int Length => _length;

    /// <summary>Arrays allocated because none was idle (a warm pool stops counting).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>An array of <see cref="Length"/> items (≥ <paramref name="length"/>).</summary>
    public T[] Rent(int length)
    {
        if (length > _length) throw new ArgumentOutOfRangeException(nameof(length), length, $"at most {_length}");
        for (var i = 0; i < _cells.Length; i++)
        {
            if (Volatile.Read(ref _cells[i]) is null) continue;
            var taken = Interlocked.Exchange(ref _cells[i], null);
            if (taken is not null) return taken;
        }

        Interlocked.Increment(ref _allocated);
        return GC.AllocateUninitializedArray<T>(_length);
    }

    public void Return(T[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length != _length) return; // not ours
        for (var i = 0; i < _cells.Length; i++)
        {
            if (Volatile.Read(ref _cells[i]) is not null) continue;
            if (Interlocked.CompareExchange(ref _cells[i], array, null) is null) return;
        }
    }
}
