using System.Buffers.Binary;
using System.Diagnostics;
using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Collects one write batch's puts and hands them to RocksDB in key order. Why: the projection's keys arrive in
/// random order (history rows of random accounts), and a memtable skip-list insert in random order walks the whole
/// list from the top, one cache miss per level. Inserted in key order, each insert starts from where the previous
/// one ended (RocksDB keeps that "splice" between inserts), which measured 2.5–2.7× faster for 100k-put batches on
/// this machine (docs/BENCHMARKS.md §6). Sorting changes nothing else: a batch is applied whole or not at all, and
/// puts of the same key keep their order (the sort is stable), so a later put still wins.
/// Single-threaded; buffers grow to the largest batch seen and are then reused (no allocation in steady state).
/// </summary>
internal sealed class SortedPutBuffer
{
    /// <summary>Longest key accepted: the read model's keys are at most 33 bytes.</summary>
    public const int MaxKeyBytes = 64;

    private struct Entry
    {
        // The first 16 key bytes as two big-endian words: most comparisons end here without touching the arena.
        public ulong Word0;
        public ulong Word1;
        public int Offset;
        public int KeyLength;
        public int ValueLength;
        public int Sequence;
    }

    private readonly struct EntryComparer(byte[] arena) : IComparer<Entry>
    {
        public int Compare(Entry x, Entry y)
        {
            if (x.Word0 != y.Word0) return x.Word0 < y.Word0 ? -1 : 1;
            if (x.Word1 != y.Word1) return x.Word1 < y.Word1 ? -1 : 1;
            // Equal first words (zero-padded for short keys): bytewise order on the whole keys, then insertion order.
            int c = arena.AsSpan(x.Offset, x.KeyLength).SequenceCompareTo(arena.AsSpan(y.Offset, y.KeyLength));
            return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
        }
    }

    private byte[] _arena = new byte[1 << 16];
    private int _arenaUsed;
    private Entry[] _entries = new Entry[1024];
    private int _count;
    // True while every put so far came in key order (e.g. transfers with ascending ids): the sort is then skipped.
    private bool _inOrder = true;

    private readonly int _entriesHint;
    private readonly int _arenaHint;

    /// <param name="entriesHint">Puts a full batch is expected to hold (the buffers grow to exactly the hints, then double:
    /// <see cref="BufferGrowth"/>).</param>
    /// <param name="arenaHint">Their key and value bytes.</param>
    public SortedPutBuffer(int entriesHint = 0, int arenaHint = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(entriesHint);
        ArgumentOutOfRangeException.ThrowIfNegative(arenaHint);
        _entriesHint = entriesHint;
        _arenaHint = arenaHint;
    }

    public int Count => _count;
    /// <summary>Puts, and key + value bytes, the buffers hold before they grow again (tests: the growth follows the hints).</summary>
    internal (int Entries, int ArenaBytes) Capacity => (_entries.Length, _arena.Length);

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Debug.Assert(key.Length is > 0 and <= MaxKeyBytes);
        int need = key.Length + value.Length;
        if (_arenaUsed + need > _arena.Length) Array.Resize(ref _arena, BufferGrowth.Next(_arena.Length, _arenaUsed + need, _arenaHint));
        if (_count == _entries.Length) Array.Resize(ref _entries, BufferGrowth.Next(_entries.Length, _count + 1, _entriesHint));
        int offset = _arenaUsed;
        if (_inOrder && _count > 0)
        {
            ref readonly Entry last = ref _entries[_count - 1];
            if (key.SequenceCompareTo(_arena.AsSpan(last.Offset, last.KeyLength)) < 0) _inOrder = false;
        }
        key.CopyTo(_arena.AsSpan(offset));
        value.CopyTo(_arena.AsSpan(offset + key.Length));
        _arenaUsed += need;
        Span<byte> head = stackalloc byte[16];
        head.Clear();
        key[..Math.Min(16, key.Length)].CopyTo(head);
        _entries[_count] = new Entry
        {
            Word0 = BinaryPrimitives.ReadUInt64BigEndian(head),
            Word1 = BinaryPrimitives.ReadUInt64BigEndian(head[8..]),
            Offset = offset, KeyLength = key.Length, ValueLength = value.Length, Sequence = _count,
        };
        _count++;
    }

    /// <summary>
    /// Sorts the puts by key (stable; skipped when they came in order) and appends them to <paramref name="batch"/>
    /// (one pointer-based native put each: no managed-to-native copy of the arena); then empties itself.
    /// </summary>
    public unsafe void MoveTo(WriteBatch batch)
    {
        Span<Entry> entries = SortedEntries();
        IntPtr handle = batch.Handle;
        Native native = Native.Instance;
        fixed (byte* arena = _arena)
        {
            for (int i = 0; i < entries.Length; i++)
            {
                ref readonly Entry e = ref entries[i];
                native.rocksdb_writebatch_put(handle, arena + e.Offset, (UIntPtr)e.KeyLength, arena + e.Offset + e.KeyLength, (UIntPtr)e.ValueLength);
            }
        }
        Clear();
    }

    /// <summary>
    /// Adds to an open SST file writer, in key order, the puts from <paramref name="next"/> on whose first key byte is
    /// below <paramref name="firstByteLimit"/> (256: all the rest), and advances <paramref name="next"/> past them; a run
    /// of puts of one key adds only its last (an SST file takes each key once, strictly ascending; the last put wins, as
    /// it does in a write batch). Sorts first if needed; call <see cref="Clear"/> after the last range.
    /// </summary>
    public unsafe void AddTo(IntPtr sstWriter, ref int next, int firstByteLimit)
    {
        Sort(); // nothing to do when already sorted (Prepare) or in order
        Native native = Native.Instance;
        fixed (byte* arena = _arena)
        {
            int i = next;
            for (; i < _count; i++)
            {
                ref readonly Entry e = ref _entries[i];
                if (arena[e.Offset] >= firstByteLimit) break;
                if (i + 1 < _count && SameKey(in e, in _entries[i + 1])) continue;
                native.rocksdb_sstfilewriter_put(sstWriter, arena + e.Offset, (UIntPtr)e.KeyLength, arena + e.Offset + e.KeyLength, (UIntPtr)e.ValueLength);
            }
            next = i;
        }
    }

    /// <summary>True when the put at <paramref name="next"/> exists and its key's first byte is below <paramref name="firstByteLimit"/>.</summary>
    public bool HasBelow(int next, int firstByteLimit) => next < _count && _arena[_entries[next].Offset] < firstByteLimit;

    /// <summary>The first key byte of the put at <paramref name="index"/> (in sorted order).</summary>
    public byte FirstByteAt(int index) => _arena[_entries[index].Offset];

    private bool SameKey(in Entry x, in Entry y) =>
        x.Word0 == y.Word0 && x.Word1 == y.Word1 && x.KeyLength == y.KeyLength
        && _arena.AsSpan(x.Offset, x.KeyLength).SequenceEqual(_arena.AsSpan(y.Offset, y.KeyLength));

    /// <summary>Sorts the puts now (so that <see cref="MoveTo"/>, perhaps on another thread, only copies).</summary>
    public void Sort()
    {
        if (_inOrder) return;
        _entries.AsSpan(0, _count).Sort(new EntryComparer(_arena));
        _inOrder = true;
    }

    private Span<Entry> SortedEntries()
    {
        Sort();
        return _entries.AsSpan(0, _count);
    }

    public void Clear()
    {
        _count = 0;
        _arenaUsed = 0;
        _inOrder = true;
    }
}
