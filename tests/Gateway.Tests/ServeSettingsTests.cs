using System.Text;
using Microsoft.Extensions.Configuration;
using Wallet.Engine.Journal;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Tests.Support;
using Wallet.Host.Configuration;

namespace Wallet.Gateway.Tests;

public sealed class ServeSettingsTests
{
    private static IConfiguration Shipped_with(params (string Key, string? Value)[] overrides) => ShippedSettings.With(overrides);

    [Fact]
    public void The_shipped_settings_load_with_the_documented_defaults_and_demo_users()
    {
        ServeSettings s = ServeSettings.Load(Shipped_with());
        Assert.Equal(Path.GetFullPath("./data"), s.DataDirectory);
        Assert.Equal("127.0.0.1:7400", $"{s.Gateway.BindAddress}:{s.Gateway.Port}");
        Assert.Equal(FsyncPolicy.Batch, s.Partition.Fsync);
        Assert.Equal(["USD/2", "EUR/2", "JPY/0", "BTC/8"], s.Partition.Ledger.Catalog.Definitions.Select(d => $"{d.Symbol}/{d.Scale}"));
        var users = new UserDirectory(s.Users);
        Assert.Equal(4, users.Count);
        Assert.True(users.Authenticate("demo"u8, Encoding.UTF8.GetBytes("demo-dev-password"))!.MayDebit(1500));
        // The saga leader's peer session on a cluster: the System user whose password the Saga section carries.
        Assert.Equal("saga-peer", s.Saga.PeerUser);
        Assert.True(users.Authenticate(Encoding.UTF8.GetBytes(s.Saga.PeerUser), Encoding.UTF8.GetBytes(s.Saga.PeerPassword))!.IsSystem);
        Assert.True(s.Saga.Enabled);
        Assert.Equal(Wallet.Saga.SagaMode.Saga, s.Saga.Mode);
        Assert.Equal(Path.Combine(Path.GetFullPath("./data"), "saga"), s.Saga.DataDirectory);
        Assert.Equal(5000, s.Saga.StepDeadlineMs);
        // Forwarding between nodes: the peer-role user whose password the Forwarding section carries.
        Assert.True(s.Forwarding.Enabled);
        UserPrincipal peer = users.Authenticate(Encoding.UTF8.GetBytes(s.Forwarding.PeerUser), Encoding.UTF8.GetBytes(s.Forwarding.PeerPassword))!;
        Assert.True(peer.IsPeer && peer.ActsAsAdmin && !peer.IsAdmin);
        Assert.Equal((256, 10_000), (s.Forwarding.MaxInFlightPerNode, s.Forwarding.RequestTimeoutMs));
    }

    [Fact]
    public void A_cluster_that_forwards_needs_the_peer_user_with_the_peer_role()
    {
        (string, string?)[] cluster = [("Cluster:Members", "1=127.0.0.1:7401:7501,2=127.0.0.1:7402:7502,3=127.0.0.1:7403:7503"), ("Cluster:NodeId", "1"), ("Serve:Partitions", "2")];
        Assert.NotNull(ServeSettings.Load(Shipped_with(cluster)).Cluster);
        var missing = Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with([.. cluster, ("Forwarding:PeerUser", "nobody")])));
        Assert.Contains("Forwarding:PeerUser 'nobody' is not in Users", missing.Message, StringComparison.Ordinal);
        var wrongRole = Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with([.. cluster, ("Forwarding:PeerUser", "admin")])));
        Assert.Contains("needs Role peer", wrongRole.Message, StringComparison.Ordinal);
        // One partition forwards too (FIX and HTTP): the same check.
        Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with([.. cluster[..2], ("Forwarding:PeerUser", "nobody")])));
        // Off, or a single node (nothing to forward to): no peer user needed.
        Assert.False(ServeSettings.Load(Shipped_with([.. cluster, ("Forwarding:PeerUser", "nobody"), ("Forwarding:Enabled", "false")])).Forwarding.Enabled);
        ServeSettings.Load(Shipped_with(("Serve:Partitions", "2"), ("Forwarding:PeerUser", "nobody")));
    }

    [Theory]
    [InlineData("Gateway:Port", "70000", "Gateway:Port")]
    [InlineData("Gateway:Port", "seven", "Gateway:Port")]
    [InlineData("Gateway:Host", "localhost:1", "Gateway:Host")]
    [InlineData("Gateway:HeartbeatIntervalMs", "50", "Gateway:HeartbeatIntervalMs")]
    [InlineData("Gateway:MaxOutboundBytesPerSession", "2048", "Gateway:MaxOutboundBytesPerSession")]
    [InlineData("Partition:Fsync", "sometimes", "Partition:Fsync")]
    [InlineData("Partition:Fsync", "1", "Partition:Fsync")]
    [InlineData("Partition:IngressRingSize", "1000", "IngressRingSize")]
    [InlineData("Ledger:Ledgers:1:Code", "1", "Duplicate ledger code")]
    [InlineData("Ledger:Ledgers:0:Scale", "19", "Ledger:Ledgers:0:Scale")]
    [InlineData("Users:0:Role", "root", "Users:0:Role")]
    [InlineData("Saga:Mode", "3pc", "Saga:Mode = '3pc' is invalid: expected saga, tcc or 2pc.")]
    [InlineData("Saga:Enabled", "maybe", "Saga:Enabled")]
    [InlineData("Saga:StepDeadlineMs", "0", "Saga:StepDeadlineMs")]
    [InlineData("Forwarding:Enabled", "sometimes", "Forwarding:Enabled")]
    [InlineData("Forwarding:MaxInFlightPerNode", "0", "Forwarding:MaxInFlightPerNode")]
    [InlineData("Forwarding:RequestTimeoutMs", "10", "Forwarding:RequestTimeoutMs")]
    [InlineData("Partition:Wait", "spin", "Partition:Wait")]
    [InlineData("Partition:WaitSpinNs", "1000001", "Partition:WaitSpinNs")]
    [InlineData("Partition:JournalPrefaultAheadBytes", "-1", "Partition:JournalPrefaultAheadBytes")]
    public void Bad_values_are_refused_with_the_setting_named(string key, string value, string expected)
    {
        var ex = Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with((key, value))));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wait_strategy_budgets_and_the_prefault_window_are_read()
    {
        ServeSettings defaults = ServeSettings.Load(Shipped_with());
        Assert.Equal(Wallet.Engine.Partition.WaitKind.Blocking, defaults.Partition.Wait);
        Assert.Equal(JournalOptions.DefaultPrefaultAheadBytes, defaults.Partition.JournalPrefaultAheadBytes);
        ServeSettings s = ServeSettings.Load(Shipped_with(("Partition:Wait", "phased"), ("Partition:WaitSpinNs", "5000"),
            ("Partition:WaitYieldNs", "0"), ("Partition:JournalPrefaultAheadBytes", "0")));
        Assert.Equal(Wallet.Engine.Partition.WaitKind.Phased, s.Partition.Wait);
        Assert.Equal((5000, 0), (s.Partition.WaitSpinNs, s.Partition.WaitYieldNs));
        Assert.Equal(0, s.Partition.JournalPrefaultAheadBytes);
    }

    [Fact]
    public void Missing_ledgers_and_users_are_named()
    {
        IConfiguration empty = new ConfigurationBuilder().AddInMemoryCollection([]).Build();
        Assert.Contains("Ledger:Ledgers", Assert.Throws<SettingsException>(() => ServeSettings.Load(empty)).Message, StringComparison.Ordinal);
        IConfiguration noUsers = new ConfigurationBuilder().AddInMemoryCollection([
            new("Ledger:Ledgers:0:Code", "1"), new("Ledger:Ledgers:0:Symbol", "USD"), new("Ledger:Ledgers:0:Scale", "2")]).Build();
        Assert.Contains("Users", Assert.Throws<SettingsException>(() => ServeSettings.Load(noUsers)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_member_may_publish_its_http_port_and_the_replica_listens_there()
    {
        const string Members = "1=127.0.0.1:7401:7501:7481,2=127.0.0.1:7402:7502:7482,3=127.0.0.1:7403:7503";
        ServeSettings s = ServeSettings.Load(Shipped_with(("Cluster:NodeId", "2"), ("Cluster:Members", Members)));
        Assert.Equal([7481, 7482, 0], s.Cluster!.Members.Select(m => m.HttpPort));
        // The published port is where this replica's API listens (as its gateway listens on its published client port).
        Assert.Equal(7482, s.Api.Http.Port);
        Assert.Equal(7482, ServeSettings.Load(Shipped_with(("Cluster:NodeId", "2"), ("Cluster:Members", Members), ("Http:Port", "9000"))).Api.Http.Port);
        // A replica that publishes none keeps Http:Port.
        Assert.Equal(9000, ServeSettings.Load(Shipped_with(("Cluster:NodeId", "3"), ("Cluster:Members", Members), ("Http:Port", "9000"))).Api.Http.Port);

        var clash = Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with(("Cluster:NodeId", "1"),
            ("Cluster:Members", "1=127.0.0.1:7401:7501:7402,2=127.0.0.1:7402:7502,3=127.0.0.1:7403:7503"))));
        Assert.Contains("member 1's HTTP port (127.0.0.1:7402) is also member 2's client port", clash.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1=127.0.0.1:7401:7501:0")]
    [InlineData("1=127.0.0.1:7401:7501:70000")]
    [InlineData("1=127.0.0.1:7401:7501:")]
    [InlineData("1=127.0.0.1:7401:7501:7481:7482")]
    public void A_bad_published_http_port_is_refused_with_the_entry_named(string entry)
    {
        var ex = Assert.Throws<SettingsException>(() => ServeSettings.Load(Shipped_with(("Cluster:NodeId", "1"), ("Cluster:Members", entry))));
        Assert.Contains($"Cluster:Members entry '{entry}' is invalid: expected id=host:clientPort:replicationPort[:httpPort]", ex.Message, StringComparison.Ordinal);
    }
}
