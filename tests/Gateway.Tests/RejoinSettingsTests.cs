using Wallet.Gateway.Tests.Support;
using Wallet.Host.Configuration;
using Wallet.Replication.Cluster;

namespace Wallet.Gateway.Tests;

/// <summary><c>Cluster:RejoinAfterDataLoss</c>: parsed, carried to every group the node runs, refused where meaningless.</summary>
public sealed class RejoinSettingsTests
{
    private const string Members = "1=127.0.0.1:7401:7501,2=127.0.0.1:7402:7502,3=127.0.0.1:7403:7503";
    private static ServeSettings Load(params (string Key, string? Value)[] overrides) => ShippedSettings.Load(overrides);

    [Fact]
    public void The_option_is_off_by_default()
    {
        ServeSettings s = Load(("Cluster:NodeId", "3"), ("Cluster:Members", Members));
        Assert.False(s.Cluster!.RejoinAfterDataLoss);
    }

    [Fact]
    public void The_option_parses_and_reaches_every_partitions_group_and_the_saga_group()
    {
        ServeSettings s = Load(("Cluster:NodeId", "3"), ("Cluster:Members", Members), ("Cluster:RejoinAfterDataLoss", "true"), ("Serve:Partitions", "2"),
            ("Cluster:RetainMarginEntries", "5000"), ("Cluster:SnapshotChunkBytes", "65536"));
        Assert.True(s.Cluster!.RejoinAfterDataLoss);
        Assert.True(s.ClusterFor(0)!.RejoinAfterDataLoss);
        ClusterOptions p1 = s.ClusterFor(1)!;
        Assert.True(p1.RejoinAfterDataLoss);
        // The snapshot catch-up settings reach the other partitions' groups too (a rejoining replica may need them).
        Assert.Equal(5000, p1.RetainMarginEntries);
        Assert.Equal(65536, p1.SnapshotChunkBytes);
        ClusterOptions saga = s.SagaCluster()!;
        Assert.True(saga.RejoinAfterDataLoss);
        Assert.Equal(65536, saga.SnapshotChunkBytes);
        // The quiet period: automatic unless set (4 × ElectionTimeoutMs + 1 s).
        Assert.Equal(-1, s.Cluster.RejoinQuietMs);
        Assert.Equal(4 * s.Cluster.ElectionTimeoutMs + 1_000, s.Cluster.EffectiveRejoinQuietMs);
    }

    [Fact]
    public void The_quiet_period_parses_reaches_every_group_and_is_bounded()
    {
        ServeSettings s = Load(("Cluster:NodeId", "3"), ("Cluster:Members", Members), ("Cluster:RejoinAfterDataLoss", "true"), ("Serve:Partitions", "2"),
            ("Cluster:RejoinQuietMs", "7000"));
        Assert.Equal((7000, 7000, 7000, 7000), (s.Cluster!.RejoinQuietMs, s.ClusterFor(0)!.RejoinQuietMs, s.ClusterFor(1)!.RejoinQuietMs, s.SagaCluster()!.RejoinQuietMs));
        Assert.Equal(7000, s.ClusterFor(1)!.EffectiveRejoinQuietMs);
        Assert.Equal(0, Load(("Cluster:NodeId", "3"), ("Cluster:Members", Members), ("Cluster:RejoinQuietMs", "7000")).Cluster!.EffectiveRejoinQuietMs);
        var ex = Assert.Throws<SettingsException>(() => Load(("Cluster:NodeId", "3"), ("Cluster:Members", Members), ("Cluster:RejoinQuietMs", "-5")));
        Assert.Contains("Cluster:RejoinQuietMs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_other_than_true_or_false_is_refused_by_name()
    {
        var ex = Assert.Throws<SettingsException>(() => Load(("Cluster:NodeId", "3"), ("Cluster:Members", Members), ("Cluster:RejoinAfterDataLoss", "yes")));
        Assert.Contains("Cluster:RejoinAfterDataLoss = 'yes' is invalid", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_member_cluster_is_refused_it_has_nobody_to_catch_up_from()
    {
        var ex = Assert.Throws<SettingsException>(() => Load(("Cluster:NodeId", "1"), ("Cluster:Members", "1=127.0.0.1:7401:7501"), ("Cluster:RejoinAfterDataLoss", "true")));
        Assert.Contains("Cluster:RejoinAfterDataLoss", ex.Message, StringComparison.Ordinal);
        Assert.Contains("single replica", ex.Message, StringComparison.Ordinal);
        // Without the option the same single-member cluster is fine.
        Assert.NotNull(Load(("Cluster:NodeId", "1"), ("Cluster:Members", "1=127.0.0.1:7401:7501")).Cluster);
    }
}
