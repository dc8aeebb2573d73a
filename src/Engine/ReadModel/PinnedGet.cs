using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// A point read of a value of any length without copying it into managed memory: RocksDB pins the value (in its
/// block cache or memtable) until <see cref="Dispose"/>. Why: the compact rows have no fixed size, so the fixed-size
/// read used before no longer fits, and an iterator costs a merging seek over every level for one key.
/// </summary>
internal unsafe ref struct PinnedGet
{
    private IntPtr _slice;

    /// <summary>Reads <paramref name="key"/>; false when absent. A RocksDB error throws <see cref="RocksDbException"/>.</summary>
    public bool TryRead(RocksDb db, ReadOptions read, scoped ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        value = default;
        Dispose();
        fixed (byte* k = key)
        {
            _slice = Native.Instance.rocksdb_get_pinned(db.Handle, read.Handle, k, (UIntPtr)key.Length, out IntPtr error);
            if (error != IntPtr.Zero) throw new RocksDbException(error);
        }
        if (_slice == IntPtr.Zero) return false;
        IntPtr data = Native.Instance.rocksdb_pinnableslice_value(_slice, out UIntPtr length);
        if (data == IntPtr.Zero) return false;
        value = new ReadOnlySpan<byte>((void*)data, checked((int)length));
        return true;
    }

    public void Dispose()
    {
        if (_slice == IntPtr.Zero) return;
        Native.Instance.rocksdb_pinnableslice_destroy(_slice);
        _slice = IntPtr.Zero;
    }
}
