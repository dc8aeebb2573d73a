namespace Wallet.Engine.Partition;

/// <summary>
/// Which partition owns an account: a pure function of the account id, the same in every gateway, client and tool.
/// Two steps (DESIGN §6): <c>slot = Slot(id)</c>, a fixed hash of the 128-bit id into <see cref="SlotCount"/> slots,
/// then <c>partition = table[slot]</c>. Splitting a partition later moves whole slots (rewrites the table), never
/// rehashes ids. The hash is the 64-bit finaliser of MurmurHash3 over <c>low ^ (high × φ)</c> — specified here so other
/// languages can reproduce it exactly:
/// <code>
/// x = low XOR (high × 0x9E3779B97F4A7C15)      (wrapping 64-bit arithmetic, low/high = the id's 64-bit halves)
/// x ^= x >> 33; x *= 0xFF51AFD7ED558CCD; x ^= x >> 33; x *= 0xC4CEB9FE1A85EC53; x ^= x >> 33
/// slot = x mod 4096
/// </code>
/// Sequential ids spread evenly; the default table assigns slot s to partition <c>s mod N</c>.
/// </summary>
public sealed class PartitionMap
{
    /// <summary>Fixed forever: changing it would move every account.</summary>
    public const int SlotCount = 4096;
    public const int MaxPartitions = 1024;

    private readonly ushort[] _table;

    private PartitionMap(ushort[] table, int partitionCount)
    {
        _table = table;
        PartitionCount = partitionCount;
    }

    public int PartitionCount { get; }

    /// <summary>The default table for <paramref name="partitionCount"/> partitions: slot s → s mod N.</summary>
    public static PartitionMap Uniform(int partitionCount)
    {
        if (partitionCount is < 1 or > MaxPartitions)
            throw new ArgumentOutOfRangeException(nameof(partitionCount), partitionCount, $"1..{MaxPartitions} partitions");
        var table = new ushort[SlotCount];
        for (int s = 0; s < SlotCount; s++) table[s] = (ushort)(s % partitionCount);
        return new PartitionMap(table, partitionCount);
    }

    /// <summary>An explicit table (e.g. after a split): every slot names a partition in [0, N), and every partition owns a slot.</summary>
    public static PartitionMap FromTable(ReadOnlySpan<ushort> table, int partitionCount)
    {
        if (partitionCount is < 1 or > MaxPartitions)
            throw new ArgumentOutOfRangeException(nameof(partitionCount), partitionCount, $"1..{MaxPartitions} partitions");
        if (table.Length != SlotCount) throw new ArgumentException($"a slot table has exactly {SlotCount} entries, not {table.Length}", nameof(table));
        var owned = new bool[partitionCount];
        for (int s = 0; s < SlotCount; s++)
        {
            if (table[s] >= partitionCount) throw new ArgumentException($"slot {s} names partition {table[s]}, but there are {partitionCount}", nameof(table));
            owned[table[s]] = true;
        }
        for (int p = 0; p < partitionCount; p++)
        {
            if (!owned[p]) throw new ArgumentException($"partition {p} owns no slot", nameof(table));
        }
        return new PartitionMap(table.ToArray(), partitionCount);
    }

    /// <summary>The slot of an account id (0..<see cref="SlotCount"/> - 1).</summary>
    public static int Slot(UInt128 id)
    {
        ulong low = (ulong)id;
        ulong high = (ulong)(id >> 64);
        ulong x = low ^ unchecked(high * 0x9E3779B97F4A7C15UL);
        x ^= x >> 33;
        x = unchecked(x * 0xFF51AFD7ED558CCDUL);
        x ^= x >> 33;
        x = unchecked(x * 0xC4CEB9FE1A85EC53UL);
        x ^= x >> 33;
        return (int)(x % SlotCount);
    }

    /// <summary>The partition that owns <paramref name="accountId"/>.</summary>
    public int PartitionOf(UInt128 accountId) => _table[Slot(accountId)];

    /// <summary>The partition that owns <paramref name="slot"/>.</summary>
    public int PartitionOfSlot(int slot) => _table[slot];
}
