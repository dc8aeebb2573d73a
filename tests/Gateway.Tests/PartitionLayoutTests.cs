using Wallet.Engine.Partition;
using Wallet.Gateway.Tests.Support;
using Wallet.Host.Configuration;
using Wallet.Host.Partitions;
using Wallet.Replication.Cluster;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The pieces of a multi-partition node that need no process: the data layout, the partition-map file that pins a data
/// directory's partition count, and the per-partition replication settings.
/// </summary>
public sealed class PartitionLayoutTests
{
    private static ServeSettings Load(params (string Key, string? Value)[] overrides) => ShippedSettings.Load(overrides);

    [Fact]
    public void One_partition_keeps_the_flat_layout_and_several_get_a_directory_each()
    {
        using var dir = new TempDirectory("layout");
        ServeSettings one = Load(("DataDirectory", dir.Path));
        Assert.Equal(dir.Path, Assert.Single(one.Partitions).DataDirectory);
        ServeSettings three = Load(("DataDirectory", dir.Path), ("Serve:Partitions", "3"));
        Assert.Equal(new[] { 0, 1, 2 }.Select(p => Path.Combine(dir.Path, $"p{p}")), three.Partitions.Select(o => o.DataDirectory));
        Assert.Equal(Path.Combine(dir.Path, "p2", "readmodel"), PartitionLayout.ReadModelDirectoryOf(dir.Path, three.Api.ReadModelDirectory, 3, 2));
        Assert.Equal("/views/p1", PartitionLayout.ReadModelDirectoryOf(dir.Path, "/views", 3, 1));
        Assert.Equal(one.Api.ReadModelDirectory, PartitionLayout.ReadModelDirectoryOf(dir.Path, one.Api.ReadModelDirectory, 1, 0));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    [InlineData("two")]
    public void A_bad_partition_count_names_the_setting(string value)
    {
        var ex = Assert.Throws<SettingsException>(() => Load(("Serve:Partitions", value)));
        Assert.Contains("Serve:Partitions", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1..64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_map_file_round_trips_pins_the_count_and_refuses_damage()
    {
        using var dir = new TempDirectory("map-file");
        PartitionMap created = PartitionMapFile.OpenOrCreate(dir.Path, 3);
        string path = Path.Combine(dir.Path, PartitionMapFile.FileName);
        Assert.Equal(PartitionMapFile.SizeBytes, new FileInfo(path).Length);
        PartitionMap reopened = PartitionMapFile.OpenOrCreate(dir.Path, 3);
        for (int s = 0; s < PartitionMap.SlotCount; s++) Assert.Equal(created.PartitionOfSlot(s), reopened.PartitionOfSlot(s));

        var other = Assert.Throws<InvalidDataException>(() => PartitionMapFile.OpenOrCreate(dir.Path, 4));
        Assert.Contains("created with 3 partition(s) but this node is configured with 4", other.Message, StringComparison.Ordinal);

        byte[] bytes = File.ReadAllBytes(path);
        bytes[20 + 2 * 7] ^= 1; // slot 7 now names another partition: the checksum catches it
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => PartitionMapFile.OpenOrCreate(dir.Path, 3)).Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, bytes[..100]);
        Assert.Contains("not a partition map", Assert.Throws<InvalidDataException>(() => PartitionMapFile.OpenOrCreate(dir.Path, 3)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_written_by_a_split_is_read_back_as_written()
    {
        using var dir = new TempDirectory("map-split");
        var table = new ushort[PartitionMap.SlotCount];
        for (int s = 0; s < table.Length; s++) table[s] = (ushort)(s < 100 ? 1 : 0);
        PartitionMapFile.Write(Path.Combine(dir.Path, PartitionMapFile.FileName), PartitionMap.FromTable(table, 2));
        PartitionMap map = PartitionMapFile.OpenOrCreate(dir.Path, 2);
        Assert.Equal(1, map.PartitionOfSlot(99));
        Assert.Equal(0, map.PartitionOfSlot(100));
    }

    [Fact]
    public void Each_partition_replicates_on_its_own_port_and_cluster_id_and_collisions_are_refused()
    {
        const string members = "1=127.0.0.1:7401:7501,2=127.0.0.1:7402:7502,3=127.0.0.1:7403:7503";
        ServeSettings s = Load(("Serve:Partitions", "3"), ("Cluster:NodeId", "2"), ("Cluster:Members", members), ("Cluster:PartitionPortStride", "3"));
        Assert.Same(s.Cluster, s.ClusterFor(0));
        ClusterOptions p2 = s.ClusterFor(2)!;
        Assert.Equal([7507, 7508, 7509], p2.Members.Select(m => m.ReplicationPort));
        Assert.Equal([7401, 7402, 7403], p2.Members.Select(m => m.ClientPort));
        Assert.Equal(s.Cluster!.ClusterId ^ (2u << 20), p2.ClusterId);
        Assert.Equal(2, p2.NodeId);
        // Each partition's results carry its number (a NotLeader answer redirects to that partition's leader).
        Assert.Equal([0, 1, 2], s.Partitions.Select(o => o.PartitionId));
        // The saga sequencer's group takes the slot after the partitions', with its own cluster id.
        ClusterOptions saga = s.SagaCluster()!;
        Assert.Equal([7510, 7511, 7512], saga.Members.Select(m => m.ReplicationPort));
        Assert.Equal(s.Cluster!.ClusterId ^ (0xFFFu << 20), saga.ClusterId);
        const string sagaClash = "1=127.0.0.1:7510:7501,2=127.0.0.1:7402:7502,3=127.0.0.1:7403:7503";
        var onSaga = Assert.Throws<SettingsException>(() => Load(("Serve:Partitions", "3"), ("Cluster:NodeId", "2"), ("Cluster:Members", sagaClash), ("Cluster:PartitionPortStride", "3")));
        Assert.Contains("saga group", onSaga.Message, StringComparison.Ordinal);
        // One partition: no saga group, so that port is free to use.
        Assert.Single(Load(("Cluster:NodeId", "2"), ("Cluster:Members", sagaClash), ("Cluster:PartitionPortStride", "3")).Partitions);

        // Stride 1 puts node 1's partition 1 on node 2's partition-0 port.
        var clash = Assert.Throws<SettingsException>(() => Load(("Serve:Partitions", "2"), ("Cluster:NodeId", "1"), ("Cluster:Members", members), ("Cluster:PartitionPortStride", "1")));
        Assert.Contains("PartitionPortStride", clash.Message, StringComparison.Ordinal);
        var high = Assert.Throws<SettingsException>(() => Load(("Serve:Partitions", "64"), ("Cluster:NodeId", "1"), ("Cluster:Members", members), ("Cluster:PartitionPortStride", "1000")));
        Assert.Contains("above 65535", high.Message, StringComparison.Ordinal);
    }
}
