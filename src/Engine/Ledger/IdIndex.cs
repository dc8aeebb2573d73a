using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Wallet.Engine.Ledger;

/// <summary>
/// Open-addressing (linear probing) map from a nonzero UInt128 id to an int slot. Key 0 marks an empty
/// bucket (0 is a reserved id). Load factor ≤ 1/2; grows by doubling up to the capacity needed for
/// <c>maxEntries</c>, so it allocates only while warming up. Deletion uses backward shift (no tombstones).
/// Key and value share one 32-byte bucket so a lookup costs one cache miss, not two (the tables are far
/// larger than the caches). The layout is never observable: nothing iterates it.
/// </summary>
internal sealed class IdIndex
{
    [StructLayout(LayoutKind.Explicit, Size = 32)]
    private struct Bucket
    {
        [FieldOffset(0)] public UInt128 Key;
        [FieldOffset(16)] public int Value;
    }

    private readonly int _maxEntries;
    private Bucket[] _buckets;

    public IdIndex(int maxEntries, int initialEntries)
    {
        _maxEntries = maxEntries;
        var buckets = BucketsFor(Math.Min(Math.Max(initialEntries, 8), maxEntries));
        _buckets = HugePageArray.Allocate<Bucket>(buckets);
    }

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(UInt128 key, int mask)
    {
        // Murmur3 fmix64 over both halves: sequential and structured ids must spread (linear probing hates clusters).
        // Halves read directly (little-endian is checked at startup): UInt128's >> is not always inlined in
        // big callers, and a helper call per hash showed up in the hot loop.
        ref var lo = ref Unsafe.As<UInt128, ulong>(ref key);
        var h = lo ^ (Unsafe.Add(ref lo, 1) * 0x9E3779B97F4A7C15UL);
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return (int)h & mask;
    }

    private static int BucketsFor(int entries)
    {
        var b = 16;
        while (b < entries * 2) b <<= 1;
        return b;
    }

    /// <summary>
    /// Hint the CPU to start loading <paramref name="key"/>'s home bucket, so a lookup a few items later hits
    /// cache. Pure hint: no state change, any key (even 0) is fine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(UInt128 key)
    {
        if (!Sse.IsSupported) return;
        var buckets = _buckets;
        ref var b = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buckets), Hash(key, buckets.Length - 1));
        // The home bucket's line (index masked to the power-of-two length, so in range) and the whole next line: a
        // probe that runs past the home line (the next bucket when home ends its line; a cluster at load ~1/2), or a
        // backward-shift removal, which always reads the buckets after its key, then finds it in cache instead of
        // taking a demand miss. Prefetching past the end is harmless.
        Sse.Prefetch0(Unsafe.AsPointer(ref b));
        Sse.Prefetch0((byte*)Unsafe.AsPointer(ref b) + 64);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(UInt128 key, out int value)
    {
        Debug.Assert(key != UInt128.Zero);
        var buckets = _buckets;
        var mask = buckets.Length - 1;
        var i = Hash(key, mask);
        while (true)
        {
            ref var b = ref buckets[i];
            var k = b.Key;
            if (k == key)
            {
                value = b.Value;
                return true;
            }

            if (k == UInt128.Zero)
            {
                value = -1;
                return false;
            }

            i = (i + 1) & mask;
        }
    }

    /// <summary>
    /// <see cref="TryGet(UInt128, out int)"/> that, when the key is absent, also returns the empty bucket that ended
    /// the probe: <see cref="AddAt"/> can then insert there without probing again, if nothing changed the index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(UInt128 key, out int value, out int insertAt)
    {
        Debug.Assert(key != UInt128.Zero);
        var buckets = _buckets;
        var mask = buckets.Length - 1;
        var i = Hash(key, mask);
        while (true)
        {
            ref var b = ref buckets[i];
            var k = b.Key;
            if (k == key)
            {
                value = b.Value;
                insertAt = -1;
                return true;
            }

            if (k == UInt128.Zero)
            {
                value = -1;
                insertAt = i;
                return false;
            }

            i = (i + 1) & mask;
        }
    }

    /// <summary>
    /// Inserts a key known to be absent at the bucket a <see cref="TryGet(UInt128, out int, out int)"/> just returned
    /// (no Add/Remove in between). Falls back to a plain <see cref="Add"/> when the table must grow first.
    /// </summary>
    public void AddAt(int insertAt, UInt128 key, int value)
    {
        if (insertAt < 0 || Count >= _maxEntries || (Count + 1) * 2 > _buckets.Length)
        {
            Add(key, value);
            return;
        }

        ref var b = ref _buckets[insertAt];
        Debug.Assert(b.Key == UInt128.Zero);
        b.Key = key;
        b.Value = value;
        Count++;
    }

    /// <summary>Inserts a key known to be absent.</summary>
    public void Add(UInt128 key, int value)
    {
        Debug.Assert(key != UInt128.Zero);
        if (Count >= _maxEntries) throw new InvalidOperationException("IdIndex capacity exceeded (engine bug: limits are checked before insert).");
        if ((Count + 1) * 2 > _buckets.Length) Grow();
        var buckets = _buckets;
        var mask = buckets.Length - 1;
        var i = Hash(key, mask);
        while (buckets[i].Key != UInt128.Zero)
        {
            Debug.Assert(buckets[i].Key != key);
            i = (i + 1) & mask;
        }

        buckets[i].Key = key;
        buckets[i].Value = value;
        Count++;
    }

    public bool Remove(UInt128 key)
    {
        var buckets = _buckets;
        var mask = buckets.Length - 1;
        var i = Hash(key, mask);
        while (buckets[i].Key != key)
        {
            if (buckets[i].Key == UInt128.Zero) return false;
            i = (i + 1) & mask;
        }

        // Backward-shift: pull later entries of the probe run into the hole when their home allows it.
        var hole = i;
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            var k = buckets[j].Key;
            if (k == UInt128.Zero) break;
            var home = Hash(k, mask);
            // Entry at j may move to hole iff home is not cyclically in (hole, j].
            var distHomeToJ = (j - home) & mask;
            var distHoleToJ = (j - hole) & mask;
            if (distHomeToJ >= distHoleToJ)
            {
                buckets[hole] = buckets[j];
                hole = j;
            }
        }

        buckets[hole] = default;
        Count--;
        return true;
    }

    public void Clear()
    {
        Array.Clear(_buckets);
        Count = 0;
    }

    /// <summary>
    /// Sizes the table for <paramref name="entries"/> (capped at the maximum) in one step, so a bulk load (replay)
    /// does not rehash through every doubling. Never shrinks. Not observable: lookups answer the same.
    /// </summary>
    public void Reserve(int entries)
    {
        var target = BucketsFor(Math.Min(Math.Max(entries, 8), _maxEntries));
        if (target > _buckets.Length) Rehash(target);
    }

    private void Grow() => Rehash(_buckets.Length * 2);

    private void Rehash(int bucketCount)
    {
        var old = _buckets;
        var buckets = HugePageArray.Allocate<Bucket>(bucketCount);
        var mask = buckets.Length - 1;
        for (var i = 0; i < old.Length; i++)
        {
            var k = old[i].Key;
            if (k == UInt128.Zero) continue;
            var j = Hash(k, mask);
            while (buckets[j].Key != UInt128.Zero) j = (j + 1) & mask;
            buckets[j] = old[i];
        }

        _buckets = buckets;
    }
}
