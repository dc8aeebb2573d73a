using System.Net;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Fix;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;

namespace Wallet.Fix.Tests.Support;

/// <summary>
/// A partition on a data directory with the SBE gateway and the FIX acceptor in front, both on ephemeral loopback
/// ports. Starting a second fixture on the same directory is a gateway restart (journal, snapshots and FIX store
/// are recovered).
/// </summary>
public sealed class FixFixture : IAsyncDisposable
{
    public const string AdminPassword = "admin-secret";
    public const string PartnerPassword = "partner-secret";
    public const string PartnerCompId = "PARTNER1";
    public const string OurCompId = "WALLET";
    public const string ClientCompId = "CLIENT2";
    private static readonly Lazy<(string Admin, string Partner)> s_hashes = new(() =>
        (PasswordHasher.Hash(AdminPassword, PasswordHasher.MinIterations), PasswordHasher.Hash(PartnerPassword, PasswordHasher.MinIterations)));

    private bool _stopped;

    private FixFixture(string dataDirectory) => DataDirectory = dataDirectory;

    public string DataDirectory { get; }
    public GatewayServer Gateway { get; private set; } = null!;
    public FixServer Fix { get; private set; } = null!;
    public PartitionEngine Partition { get; private set; } = null!;
    /// <summary>Every partition (one unless the fixture was started with several: data under p{i}/, routed by PartitionMap).</summary>
    public IReadOnlyList<PartitionEngine> Partitions { get; private set; } = [];
    public IPEndPoint FixEndpoint => Fix.LocalEndPoint;
    public IPEndPoint SbeEndpoint => Gateway.LocalEndPoint;
    public FixPartner Partner => Fix.Options.Partners[0];
    public FixPartner ClientPartner => Fix.Options.Partners[1];

    public static FixOptions DefaultFix(string storeDirectory) => new()
    {
        Port = 0,
        StoreDirectory = storeDirectory,
        MaxMessageBytes = 2048,
        MaxStoredMessages = 1000,
        LogonTimeoutMs = 5000,
        CloseLingerMs = 500,
        Partners =
        [
            // The interop partner: admin (creates accounts, funds from the bank account).
            new FixPartner(PartnerCompId, OurCompId, "partner1", s_hashes.Value.Partner, Role.Admin, ["*"]),
            // A client partner that may debit 1000..1999 only.
            new FixPartner(ClientCompId, OurCompId, "client2", s_hashes.Value.Partner, Role.Client, ["1000-1999"]),
        ],
    };

    /// <summary>A configure function for <see cref="StartAsync"/>: the default FIX options with another Fix:Fsync.</summary>
    public static Func<FixOptions, FixOptions> WithFsync(FsyncPolicy fsync) => o => new FixOptions
    {
        BindAddress = o.BindAddress, Port = o.Port, MaxMessageBytes = o.MaxMessageBytes, MaxFields = o.MaxFields,
        MinHeartbeatSeconds = o.MinHeartbeatSeconds, MaxHeartbeatSeconds = o.MaxHeartbeatSeconds, LogonTimeoutMs = o.LogonTimeoutMs,
        CloseLingerMs = o.CloseLingerMs, MaxInFlightPerSession = o.MaxInFlightPerSession, MaxOutboundBytesPerSession = o.MaxOutboundBytesPerSession,
        StoreDirectory = o.StoreDirectory, MaxStoredMessages = o.MaxStoredMessages, Partners = o.Partners, Fsync = fsync,
    };

    public static async Task<FixFixture> StartAsync(string dataDirectory, Func<FixOptions, FixOptions>? configure = null, int partitions = 1,
        ICrossPartitionTransfers? crossPartition = null, Func<IRequestRouter, IRequestRouter>? wrapRouter = null)
    {
        await Task.Yield();
        var f = new FixFixture(dataDirectory);
        PartitionOptions Options(string directory) => new()
        {
            DataDirectory = directory,
            Ledger = new LedgerOptions
            {
                Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2), new LedgerDefinition(3, "JPY", 0)]),
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
        var gatewayOptions = new GatewayOptions { Port = 0, MinHeartbeatIntervalMs = 20, LogonTimeoutMs = 5000, CloseLingerMs = 500 };
        var users = new UserDirectory([new UserDefinition("admin", s_hashes.Value.Admin, Role.Admin, [])]);
        f.Gateway = new GatewayServer(gatewayOptions, users);
        PartitionOptions partition = Options(partitions == 1 ? dataDirectory : Path.Combine(dataDirectory, "p0"));
        var engines = new List<PartitionEngine> { PartitionEngine.Start(partition, f.Gateway.ResultHandler) };
        for (int p = 1; p < partitions; p++) engines.Add(PartitionEngine.Start(Options(Path.Combine(dataDirectory, $"p{p}")), f.Gateway.ResultHandler));
        f.Partition = engines[0];
        f.Partitions = engines;
        IRequestRouter router = partitions == 1 ? new SinglePartitionRouter(f.Partition) : new PartitionedRouter(engines, PartitionMap.Uniform(partitions), crossPartition);
        f.Gateway.Start(wrapRouter is null ? router : wrapRouter(router));
        FixOptions fix = DefaultFix(Path.Combine(dataDirectory, "fix"));
        f.Fix = new FixServer(configure is null ? fix : configure(fix), f.Gateway, partition.Ledger.Catalog);
        f.Fix.Start();
        return f;
    }

    public async Task<RawFixClient> ConnectAsync() => await RawFixClient.ConnectAsync(FixEndpoint);

    /// <summary>
    /// Connects and logs on as the admin partner (ResetSeqNumFlag unless told otherwise). A previous session of the
    /// same partner may still be ending on the gateway side ("already has a session"): retried, bounded, like an
    /// engine's reconnect interval.
    /// </summary>
    public async Task<RawFixClient> LogonAsync(bool reset = true, string sender = PartnerCompId, int heartBtInt = 30)
    {
        for (int attempt = 0; ; attempt++)
        {
            RawFixClient c = await ConnectAsync();
            c.SenderCompId = sender;
            string user = sender == ClientCompId ? "client2" : "partner1";
            c.Send("A", reset ? $"98=0|108={heartBtInt}|141=Y|553={user}|554={PartnerPassword}|" : $"98=0|108={heartBtInt}|553={user}|554={PartnerPassword}|");
            FixReply reply = await c.ReceiveAsync();
            if (reply.MsgType == "5" && reply[58].Contains("already has a session", StringComparison.Ordinal) && attempt < 50)
            {
                await c.DisposeAsync();
                await Task.Delay(100);
                continue;
            }
            Assert.Equal("A", reply.MsgType);
            return c;
        }
    }

    /// <summary>
    /// Connects and sends a Logon with <paramref name="nextSeq"/> and <paramref name="body"/> as given (no reset), retrying
    /// like <see cref="LogonAsync"/> while the partner's previous session is still ending; returns the first other reply.
    /// </summary>
    public async Task<(RawFixClient Client, FixReply Reply)> SendLogonAsync(int nextSeq, string body)
    {
        for (int attempt = 0; ; attempt++)
        {
            RawFixClient c = await ConnectAsync();
            c.NextSeq = nextSeq;
            c.Send("A", body);
            FixReply reply = await c.ReceiveAsync();
            if (reply.MsgType == "5" && reply[58].Contains("already has a session", StringComparison.Ordinal) && attempt < 50)
            {
                await c.DisposeAsync();
                await Task.Delay(100);
                continue;
            }
            return (c, reply);
        }
    }

    /// <summary>Graceful stop as the host does it: FIX sessions out, intake off, drain + snapshot, SBE sessions out.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await Fix.DisposeAsync();
        Gateway.StopIntake();
        foreach (PartitionEngine partition in Partitions) partition.Stop(TimeSpan.FromSeconds(10), snapshot: partition.AppliedIndex > 0);
        await Gateway.StopAsync(TimeSpan.FromSeconds(5));
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
