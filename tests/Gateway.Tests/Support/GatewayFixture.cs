using System.Net;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;

namespace Wallet.Gateway.Tests.Support;

/// <summary>A partition on a temp directory with the gateway in front of it, on an ephemeral loopback port.</summary>
public sealed class GatewayFixture : IAsyncDisposable
{
    public const string AdminPassword = "admin-secret";
    public const string ClientPassword = "client-secret";
    public const string SystemPassword = "peer-secret";
    public const string PeerUser = "gateway-peer";
    public const string PeerPassword = "gateway-peer-secret";
    /// <summary>Hashed once per test run: PBKDF2 is deliberately slow.</summary>
    public static UserDefinition[] Users => s_users.Value;

    private static readonly Lazy<UserDefinition[]> s_users = new(() =>
    [
        new UserDefinition("admin", PasswordHasher.Hash(AdminPassword, PasswordHasher.MinIterations), Role.Admin, []),
        // The demo client may debit accounts 100..199 only.
        new UserDefinition("alice", PasswordHasher.Hash(ClientPassword, PasswordHasher.MinIterations), Role.Client, ["100-199"]),
        // A test may hold this user's password check open (GatewayContext.PasswordCheckHook).
        new UserDefinition("slow", PasswordHasher.Hash(ClientPassword, PasswordHasher.MinIterations), Role.Client, []),
        // A peer node's saga sequencer: SystemTransfers only.
        new UserDefinition("peer", PasswordHasher.Hash(SystemPassword, PasswordHasher.MinIterations), Role.System, []),
        // Another node's gateway forwarding its clients' items (docs/gateway.md, "Forwarding between nodes").
        new UserDefinition(PeerUser, PasswordHasher.Hash(PeerPassword, PasswordHasher.MinIterations), Role.Peer, []),
    ]);

    private readonly TempDirectory? _ownedDir;

    private GatewayFixture(string dataDirectory, TempDirectory? ownedDir)
    {
        DataDirectory = dataDirectory;
        _ownedDir = ownedDir;
    }

    public string DataDirectory { get; }
    public GatewayServer Gateway { get; private set; } = null!;
    public PartitionEngine Partition { get; private set; } = null!;
    public IPEndPoint Endpoint => Gateway.LocalEndPoint;

    public static PartitionOptions DefaultPartition(string dir) => new()
    {
        DataDirectory = dir,
        Ledger = new LedgerOptions
        {
            Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2), new LedgerDefinition(2, "EUR", 2)]),
            MaxAccounts = 4096,
            MaxBatchSize = 1024,
            MaxPendingTransfers = 1024,
            TransferRetentionCount = 1 << 14,
        },
        MaxCommandBytes = 256 * 1024,
        JournalSegmentSizeBytes = 4L << 20,
        Fsync = FsyncPolicy.None,
        IngressRingSize = 256,
        EgressRingSize = 256,
    };

    public static GatewayOptions DefaultGateway() => new()
    {
        Port = 0,
        HeartbeatIntervalMs = 1000,
        MinHeartbeatIntervalMs = 20,
        LogonTimeoutMs = 5000,
        CloseLingerMs = 500,
    };

    /// <summary>Starts on a fresh temp directory (or <paramref name="dataDirectory"/> for restarts).</summary>
    public static GatewayFixture Start(
        Func<GatewayOptions, GatewayOptions>? gateway = null,
        Func<PartitionOptions, PartitionOptions>? partition = null,
        Func<IPartitionResultHandler, IPartitionResultHandler>? wrapResults = null,
        string? dataDirectory = null)
    {
        TempDirectory? owned = dataDirectory is null ? new TempDirectory("gateway") : null;
        var f = new GatewayFixture(dataDirectory ?? owned!.Path, owned);
        GatewayOptions go = gateway is null ? DefaultGateway() : gateway(DefaultGateway());
        PartitionOptions po = partition is null ? DefaultPartition(f.DataDirectory) : partition(DefaultPartition(f.DataDirectory));
        f.Gateway = new GatewayServer(go, new UserDirectory(s_users.Value));
        IPartitionResultHandler handler = wrapResults is null ? f.Gateway.ResultHandler : wrapResults(f.Gateway.ResultHandler);
        f.Partition = PartitionEngine.Start(po, handler);
        f.Gateway.Start(new SinglePartitionRouter(f.Partition));
        return f;
    }

    public async Task<RawClient> ConnectAsync(int receiveBufferBytes = 0) => await RawClient.ConnectAsync(Endpoint, receiveBufferBytes);

    public async Task<RawClient> AdminAsync()
    {
        RawClient c = await ConnectAsync();
        await c.LogonAsync("admin", AdminPassword);
        return c;
    }

    public async Task<RawClient> AliceAsync()
    {
        RawClient c = await ConnectAsync();
        await c.LogonAsync("alice", ClientPassword);
        return c;
    }

    /// <summary>Graceful stop as the host does it: intake off, drain + snapshot, sessions out.</summary>
    public async Task StopAsync()
    {
        Gateway.StopIntake();
        // A partition that never applied a command has nothing to snapshot (and Stop would wait out its timeout for one).
        Partition.Stop(TimeSpan.FromSeconds(10), snapshot: Partition.AppliedIndex > 0);
        await Gateway.StopAsync(TimeSpan.FromSeconds(5));
    }

    public async ValueTask DisposeAsync()
    {
        if (Partition.State is PartitionState.Running or PartitionState.Failed) await StopAsync();
        _ownedDir?.Dispose();
    }
}
