namespace Wallet.Engine.Partition;

/// <summary>
/// Buffers for large command payloads, shared by a partition's rings. A ring slot carries a small payload in its own
/// buffer (grown up to <see cref="SmallPayloadBytes"/>); a larger one is copied into a buffer borrowed here, which the
/// slot's last consumer hands back. Without it every slot grew its own buffer to the largest command it ever carried:
/// with 8,190-transfer batches each new slot allocated (and zeroed) a fresh 1 MiB large object, and a 4,096-slot ring
/// crept towards 4 GiB. Lock-free and allocation-free once warm: a fixed row of cells, taken and returned with one
/// interlocked exchange each; a rent finding none allocates (never blocks), a return finding no free cell drops the
/// buffer to the GC. Memory held: at most <see cref="Capacity"/> idle buffers plus the large commands in flight.
/// </summary>
public sealed class PayloadPool
{
    /// <summary>Payloads up to this size stay in the slot's own buffer.</summary>
    public const int SmallPayloadBytes = 4096;

    private readonly byte[]?[] _cells;
    private readonly int _bufferBytes;
    private long _allocated;

    public PayloadPool(int capacity, int bufferBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, SmallPayloadBytes + 1);
        _cells = new byte[]?[capacity];
        _bufferBytes = bufferBytes;
    }

    public int Capacity => _cells.Length;

    /// <summary>Buffers allocated because none was idle (a warm pool stops counting).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    /// <summary>A buffer of at least <paramref name="length"/> bytes (≤ the pool's buffer size).</summary>
    public byte[] Rent(int length)
    {
        if (length > _bufferBytes) throw new ArgumentOutOfRangeException(nameof(length), length, $"at most {_bufferBytes}");
        for (var i = 0; i < _cells.Length; i++)
        {
            if (Volatile.Read(ref _cells[i]) is null) continue;
            var taken = Interlocked.Exchange(ref _cells[i], null);
            if (taken is not null) return taken;
        }

        Interlocked.Increment(ref _allocated);
        return GC.AllocateUninitializedArray<byte>(_bufferBytes);
    }

    public void Return(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Length != _bufferBytes) return; // not ours
        for (var i = 0; i < _cells.Length; i++)
        {
            if (Volatile.Read(ref _cells[i]) is not null) continue;
            if (Interlocked.CompareExchange(ref _cells[i], buffer, null) is null) return;
        }
    }
}
