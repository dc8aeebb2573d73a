using Wallet.Engine.ReadModel;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The batch buffers grow by doubling but stop at the size a full batch needs (the hint from the batch limit): a
/// batch that overshoots its power-of-two limit by one record must not double every buffer.
/// </summary>
public sealed class BufferGrowthTests
{
    [Theory]
    [InlineData(1024, 1025, 0, 2048)]          // no hint: doubling
    [InlineData(1024, 5000, 0, 5000)]          // one put larger than double: exactly what it needs
    [InlineData(262_144, 262_145, 278_528, 278_528)] // about to pass the hint: grows to the hint, not to 524,288
    [InlineData(131_072, 131_073, 278_528, 262_144)] // doubling stays below the hint: plain doubling
    [InlineData(278_528, 278_529, 278_528, 557_056)] // past the hint: doubling again
    [InlineData(262_144, 300_000, 278_528, 524_288)] // needs more than the hint: the hint does not cap it
    public void GrowsByDoublingButLandsOnTheHint(int length, int needed, int hint, int expected) =>
        Assert.Equal(expected, BufferGrowth.Next(length, needed, hint));

    [Fact]
    public void NeverBelowWhatIsNeededNearTheLargestArray()
    {
        int length = Array.MaxLength / 2 + 10;
        Assert.Equal(Array.MaxLength, BufferGrowth.Next(length, length + 1, 0));
    }

    [Fact]
    public void ABatchSizedForItsLimitHoldsALimitPlusOneRecordWithoutDoubling()
    {
        const int maxEvents = 65_536;
        using var batch = new PendingBatch(maxEvents);
        int events = maxEvents + 1000; // the record that reached the limit carried 1,000 transfers
        Span<byte> key = stackalloc byte[ReadModelKeys.IdKeyBytes];
        byte[] value = new byte[60];
        for (int i = 0; i < events; i++)
        {
            batch.History.Add((UInt128)(i % 97 + 1), new HistoryRow { Index = i + 1, Amount = i });
            batch.History.Add((UInt128)(i % 89 + 1000), new HistoryRow { Index = i + 1, Amount = -i });
            ReadModelKeys.WriteId(key, ReadModelKeys.Transfer, (UInt128)(i + 1));
            batch.Transfers.Put(key, value);
        }
        int slack = maxEvents + PendingBatch.RecordEventsSlack;
        Assert.Equal(2 * slack, batch.History.RowCapacity);          // 163,840, not 262,144 (the next power of two)
        Assert.Equal(slack, batch.Transfers.Capacity.Entries);       // 81,920, not 131,072
        Assert.True(batch.Transfers.Capacity.ArenaBytes <= slack * 96, $"arena {batch.Transfers.Capacity.ArenaBytes} B");
        Assert.Equal(2 * events, batch.History.Count);
        Assert.Equal(events, batch.Transfers.Count);
    }

    [Fact]
    public void WithoutAHintTheBuffersStillGrowToWhatTheyHold()
    {
        var history = new HistoryChunkBuilder();
        for (int i = 0; i < 3000; i++) history.Add(7, new HistoryRow { Index = i + 1 });
        Assert.Equal(4096, history.RowCapacity);
        Assert.Equal(3000, history.Count);
    }
}
