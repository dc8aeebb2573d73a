using Wallet.Engine.Partition;

namespace Wallet.Engine.Tests.Partition;

public sealed class PartitionMapTests
{
    [Fact]
    public void The_slot_function_is_the_documented_one_and_never_changes()
    {
        // Vectors computed from the formula in PartitionMap's documentation; a change here moves accounts between
        // partitions on live clusters, so it must be deliberate.
        Assert.Equal(Reference(0, 0), PartitionMap.Slot(0));
        Assert.Equal(Reference(1, 0), PartitionMap.Slot(1));
        Assert.Equal(Reference(0x0123456789abcdef, 0xfedcba9876543210), PartitionMap.Slot(new UInt128(0xfedcba9876543210, 0x0123456789abcdef)));
        // Pinned values, cross-checked with an independent implementation (Python, arbitrary-precision ints masked to 64 bits).
        Assert.Equal(0, PartitionMap.Slot(0));
        Assert.Equal(2860, PartitionMap.Slot(1));
        Assert.Equal(999, PartitionMap.Slot(2));
        Assert.Equal(3818, PartitionMap.Slot(UInt128.MaxValue - 1));
        Assert.Equal(1337, PartitionMap.Slot(new UInt128(0xfedcba9876543210, 0x0123456789abcdef)));
    }

    private static int Reference(ulong low, ulong high)
    {
        ulong x = low ^ unchecked(high * 0x9E3779B97F4A7C15UL);
        x ^= x >> 33;
        x = unchecked(x * 0xFF51AFD7ED558CCDUL);
        x ^= x >> 33;
        x = unchecked(x * 0xC4CEB9FE1A85EC53UL);
        x ^= x >> 33;
        return (int)(x % 4096);
    }

    [Fact]
    public void Sequential_ids_spread_evenly_over_the_partitions()
    {
        PartitionMap map = PartitionMap.Uniform(8);
        var counts = new int[8];
        for (ulong id = 1; id <= 80_000; id++) counts[map.PartitionOf(id)]++;
        // Each partition within ±5% of the mean (10,000).
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        Assert.Equal(0, PartitionMap.Uniform(1).PartitionOf(123456789));
    }

    [Fact]
    public void A_slot_table_must_cover_every_partition_and_name_only_existing_ones()
    {
        var table = new ushort[PartitionMap.SlotCount];
        for (int s = 0; s < table.Length; s++) table[s] = (ushort)(s < 100 ? 1 : 0);
        PartitionMap split = PartitionMap.FromTable(table, 2);
        Assert.Equal(1, split.PartitionOfSlot(99));
        Assert.Equal(0, split.PartitionOfSlot(100));

        Assert.Throws<ArgumentException>(() => PartitionMap.FromTable(table, 3)); // partition 2 owns nothing
        table[5] = 7;
        Assert.Throws<ArgumentException>(() => PartitionMap.FromTable(table, 2));
        Assert.Throws<ArgumentException>(() => PartitionMap.FromTable(new ushort[10], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PartitionMap.Uniform(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PartitionMap.Uniform(PartitionMap.MaxPartitions + 1));
    }
}
