using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// Open-addressing (linear probing) map from a nonzero UInt128 id to an int slot. Key 0 marks an empty
/// bucket (0 is a reserved id). Load factor ≤ 1/2; grows by doubling up to the capacity needed for
/// <c>maxEntries</c>, so it allocates only while warming up. Deletion uses backward shift (no tombstones).
/// The layout is never observable: nothing iterates it.
/// </summary>
internal sealed class IdIndex
{
    private readonly int _maxEntries;
    private UInt128[] _keys;
    private int[] _values;
    private int _mask;

    public IdIndex(int maxEntries, int initialEntries)
    {
        _maxEntries = maxEntries;
        var buckets = BucketsFor(Math.Min(Math.Max(initialEntries, 8), maxEntries));
        _keys = new UInt128[buckets];
        _values = new int[buckets];
        _mask = buckets - 1;
    }

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(UInt128 key, int mask)
    {
        // Murmur3 fmix64 over both halves: sequential and structured ids must spread (linear probing hates clusters).
        var h = (ulong)key ^ ((ulong)(key >> 64) * 0x9E3779B97F4A7C15UL);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(UInt128 key, out int value)
    {
        Debug.Assert(key != UInt128.Zero);
        var keys = _keys;
        var i = Hash(key, _mask);
        while (true)
        {
            var k = keys[i];
            if (k == key)
            {
                value = _values[i];
                return true;
            }

            if (k == UInt128.Zero)
            {
                value = -1;
                return false;
            }

            i = (i + 1) & _mask;
        }
    }

    /// <summary>Inserts a key known to be absent.</summary>
    public void Add(UInt128 key, int value)
    {
        Debug.Assert(key != UInt128.Zero);
        if (Count >= _maxEntries) throw new InvalidOperationException("IdIndex capacity exceeded (engine bug: limits are checked before insert).");
        if ((Count + 1) * 2 > _keys.Length) Grow();
        var i = Hash(key, _mask);
        while (_keys[i] != UInt128.Zero)
        {
            Debug.Assert(_keys[i] != key);
            i = (i + 1) & _mask;
        }

        _keys[i] = key;
        _values[i] = value;
        Count++;
    }

    public bool Remove(UInt128 key)
    {
        var i = Hash(key, _mask);
        while (_keys[i] != key)
        {
            if (_keys[i] == UInt128.Zero) return false;
            i = (i + 1) & _mask;
        }

        // Backward-shift: pull later entries of the probe run into the hole when their home allows it.
        var hole = i;
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            var k = _keys[j];
            if (k == UInt128.Zero) break;
            var home = Hash(k, _mask);
            // Entry at j may move to hole iff home is not cyclically in (hole, j].
            var distHomeToJ = (j - home) & _mask;
            var distHoleToJ = (j - hole) & _mask;
            if (distHomeToJ >= distHoleToJ)
            {
                _keys[hole] = k;
                _values[hole] = _values[j];
                hole = j;
            }
        }

        _keys[hole] = UInt128.Zero;
        _values[hole] = 0;
        Count--;
        return true;
    }

    public void Clear()
    {
        Array.Clear(_keys);
        Array.Clear(_values);
        Count = 0;
    }

    private void Grow()
    {
        var oldKeys = _keys;
        var oldValues = _values;
        var buckets = oldKeys.Length * 2;
        _keys = new UInt128[buckets];
        _values = new int[buckets];
        _mask = buckets - 1;
        for (var i = 0; i < oldKeys.Length; i++)
        {
            var k = oldKeys[i];
            if (k == UInt128.Zero) continue;
            var j = Hash(k, _mask);
            while (_keys[j] != UInt128.Zero) j = (j + 1) & _mask;
            _keys[j] = k;
            _values[j] = oldValues[i];
        }
    }
}
