using Wallet.Engine.Ledger;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>
/// The ledger's big tables are zeroed by several threads at once (each its part): every element must come out zero
/// whatever the length (parts of unequal size, fewer elements than threads) and whatever the memory held before.
/// </summary>
public sealed class HugePageArrayTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1_000_003)]
    [InlineData(4_194_305)]
    public void A_parallel_clear_zeroes_every_element(int length)
    {
        var array = new long[length];
        array.AsSpan().Fill(-1);
        // Claim the size that takes the parallel path whatever the array's real size.
        HugePageArray.ClearInParallel(array, HugePageArray.ParallelClearMinBytes);
        Assert.Equal(-1, array.AsSpan().IndexOfAnyExcept(0L));
    }

    [Fact]
    public void A_large_table_is_allocated_zeroed()
    {
        // 80 MiB of 128-byte rows: above the parallel threshold, huge-page advised on Linux.
        Account[] rows = HugePageArray.Allocate<Account>((int)((80L << 20) / Account.SizeBytes));
        Assert.True((long)rows.Length * Account.SizeBytes >= HugePageArray.ParallelClearMinBytes);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.AsSpan());
        Assert.Equal(-1, bytes.IndexOfAnyExcept((byte)0));
    }
}
