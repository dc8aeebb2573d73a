using Wallet.Engine.Partition;
using Wallet.Gateway.Tcp;

namespace Wallet.Gateway.Tests.Support;

/// <summary>What the tests of a gateway in front of several in-process partitions share: the partitions and account ids by partition.</summary>
internal static class PartitionedSetup
{
    /// <summary>Starts <paramref name="count"/> partitions with the test defaults, each in <paramref name="directory"/>/p{n}, answering through <paramref name="gateway"/>.</summary>
    public static PartitionEngine[] StartPartitions(GatewayServer gateway, string directory, int count)
    {
        var partitions = new PartitionEngine[count];
        for (int p = 0; p < count; p++)
        {
            partitions[p] = PartitionEngine.Start(GatewayFixture.DefaultPartition(Path.Combine(directory, $"p{p}")), gateway.ResultHandler);
        }
        return partitions;
    }

    /// <summary>The first <paramref name="count"/> ids from <paramref name="from"/> on that <paramref name="map"/> puts on <paramref name="partition"/>.</summary>
    public static UInt128[] IdsOn(PartitionMap map, int partition, int count, ulong from = 100)
    {
        var ids = new List<UInt128>(count);
        for (ulong id = from; ids.Count < count; id++)
        {
            if (map.PartitionOf(id) == partition) ids.Add(id);
        }
        return [.. ids];
    }

    /// <summary>Asserts a CreateResults with <paramref name="items"/> results, every one Ok, in item order.</summary>
    public static void AllOk(CreateResultsView r, int items)
    {
        Assert.Equal(items, r.Results.Count);
        for (int i = 0; i < items; i++) Assert.Equal(((uint)i, (uint)Wallet.Engine.Ledger.ResultCode.Ok), r.Results[i]);
    }
}
