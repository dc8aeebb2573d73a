using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Wallet.Client;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Xunit.Abstractions;

namespace Wallet.Cluster.Tests;

/// <summary>
/// Three real `wallet serve` processes on 127.0.0.1 under client load: kill -9 the leader, a new one serves and the client
/// carries on; kill -9 a follower and restart it, it catches up. Afterwards every acknowledged transfer is present exactly
/// once and every replica's journal reproduces the same state.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class FailoverProcessTests(ITestOutputHelper output) : IDisposable
{
    private const long Amount = 3;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "failover-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly ServeNode?[] _nodes = new ServeNode?[4];
    private readonly int[] _clientPorts = new int[4];
    private string _members = string.Empty;

    // Small ledger so three replicas start fast; the replay below uses the same numbers.
    private static readonly string[] s_ledgerArgs =
    [
        "--Ledger:MaxAccounts=4096", "--Ledger:MaxPendingTransfers=1024", "--Ledger:TransferRetentionCount=65536",
        "--Ledger:MaxBatchSize=1024", "--Gateway:MaxBatchSize=1024", "--Gateway:LogonTimeoutMs=60000", "--Partition:SnapshotIntervalCommands=0", "--Http:Port=0",
    ];

    private static LedgerOptions ReplayLedger() => new()
    {
        Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2), new LedgerDefinition(2, "EUR", 2), new LedgerDefinition(3, "JPY", 0), new LedgerDefinition(4, "BTC", 8)]),
        MaxAccounts = 4096,
        MaxPendingTransfers = 1024,
        TransferRetentionCount = 65536,
        MaxBatchSize = 1024,
    };

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private void StartNode(int id) => _nodes[id] = new ServeNode(id, Path.Combine(_root, $"node-{id}"), _members, s_ledgerArgs);

    private async Task<ServeNode> LeaderAsync(int timeoutMs, int notId = 0)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            foreach (ServeNode? n in _nodes)
            {
                if (n is not null && n.Id != notId && n.IsLeader) return n;
            }
            Assert.True(sw.ElapsedMilliseconds < timeoutMs, $"no leader within {timeoutMs} ms:\n{AllOutput()}");
            await Task.Delay(10);
        }
    }

    private string AllOutput() => ServeNodes.AllOutput(_nodes);

    /// <summary>Workers sending single transfers with unique ids; records what was acknowledged and when.</summary>
    private sealed class Load(WalletClient client, long firstId)
    {
        private long _nextId = firstId;
        private volatile bool _stop;
        public readonly List<UInt128> Attempted = [];
        public readonly List<UInt128> Acked = [];
        public long LastAckTicks;
        public int Errors;

        public Task RunAsync(int workers)
        {
            var tasks = new Task[workers];
            for (int w = 0; w < workers; w++) tasks[w] = Task.Run(WorkAsync);
            return Task.WhenAll(tasks);
        }

        public void Stop() => _stop = true;

        public int AckedCount { get { lock (Acked) return Acked.Count; } }

        private async Task WorkAsync()
        {
            while (!_stop)
            {
                UInt128 id = (UInt128)Interlocked.Increment(ref _nextId);
                lock (Attempted) Attempted.Add(id);
                try
                {
                    var tx = new Transfer { Id = id, DebitAccountId = 1, CreditAccountId = 2, Amount = Amount, Ledger = 1, Code = 1 };
                    ResultCode code = await client.CreateTransferAsync(tx);
                    Assert.Equal(ResultCode.Ok, code);
                    lock (Acked) Acked.Add(id);
                    Volatile.Write(ref LastAckTicks, Stopwatch.GetTimestamp());
                }
                catch (Exception ex) when (ex is WalletBusyException or TimeoutException or OperationCanceledException)
                {
                    // Not acknowledged (timeout or connection given up): it may or may not have committed.
                    Interlocked.Increment(ref Errors);
                    await Task.Delay(10);
                }
            }
        }
    }

    private Task WaitForAcksAsync(Load load, int atLeast, int timeoutMs) => ServeNodes.WaitForAcksAsync(() => load.AckedCount, atLeast, timeoutMs, _nodes);

    [Fact]
    public async Task Kill_9_of_the_leader_and_of_a_follower_under_load_loses_no_acknowledged_transfer()
    {
        int[] replicationPorts = new int[4];
        for (int id = 1; id <= 3; id++)
        {
            _clientPorts[id] = FreePort();
            replicationPorts[id] = FreePort();
        }
        _members = $"1=127.0.0.1:{_clientPorts[1]}:{replicationPorts[1]},2=127.0.0.1:{_clientPorts[2]}:{replicationPorts[2]},3=127.0.0.1:{_clientPorts[3]}:{replicationPorts[3]}";
        for (int id = 1; id <= 3; id++) StartNode(id);
        ServeNode first = await LeaderAsync(60_000);

        var options = new WalletClientOptions
        {
            Host = "127.0.0.1",
            Port = _clientPorts[first.Id == 1 ? 2 : 1], // start on a follower: the logon is redirected to the leader
            SeedEndpoints = [new WalletEndpoint("127.0.0.1", _clientPorts[1]), new WalletEndpoint("127.0.0.1", _clientPorts[2]), new WalletEndpoint("127.0.0.1", _clientPorts[3])],
            ClientId = "admin",
            Credential = "admin-dev-password",
            ConnectTimeoutMs = 30_000,
            RequestTimeoutMs = 30_000,
            ReconnectAttempts = 50,
            ReconnectMaxBackoffMs = 200,
            HeartbeatIntervalMs = 100,
            // Elections answer Busy (no leader known yet); a client rides them out.
            BusyRetryLimit = 1000,
            BusyRetryMaxDelayMs = 200,
        };
        await using WalletClient client = await WalletClient.ConnectAsync(options);
        Assert.All(await client.CreateAccountsAsync(new[] { new Account { Id = 1, Ledger = 1, Code = 1 }, new Account { Id = 2, Ledger = 1, Code = 1 } }),
            r => Assert.Equal(ResultCode.Ok, r.Code));

        var load = new Load(client, 1_000);
        Task running = load.RunAsync(workers: 8);
        try
        {
            await WaitForAcksAsync(load, 300, 60_000);

            // 1. kill -9 the leader under load.
            long killedAt = Stopwatch.GetTimestamp();
            int ackedAtKill = load.AckedCount;
            first.Crash();
            ServeNode second = await LeaderAsync(10_000, notId: first.Id);
            double electedMs = Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds;
            await WaitForAcksAsync(load, ackedAtKill + 50, 30_000);
            output.WriteLine($"leader {first.Id} killed; node {second.Id} elected after {electedMs:F0} ms; acks resumed; errors so far {load.Errors}");
            Assert.True(electedMs < 5_000, $"new leader after {electedMs:F0} ms");

            // 2. The old leader comes back as a follower and catches up; then kill -9 the other follower under load (the
            //    remaining two are a majority) and restart it: it catches up too.
            _nodes[first.Id]!.Dispose();
            StartNode(first.Id);
            await WaitForAcksAsync(load, load.AckedCount + 100, 30_000);
            int followerId = 6 - first.Id - second.Id;
            _nodes[followerId]!.Crash();
            await WaitForAcksAsync(load, load.AckedCount + 100, 30_000);
            _nodes[followerId]!.Dispose();
            StartNode(followerId);
            await WaitForAcksAsync(load, load.AckedCount + 200, 30_000);
        }
        finally
        {
            load.Stop();
            await running.WaitAsync(TimeSpan.FromSeconds(60));
        }

        // A marker written last: once every replica holds it, each has the whole acknowledged history.
        Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(new Transfer { Id = 999_999_999, DebitAccountId = 2, CreditAccountId = 1, Amount = 1, Ledger = 1, Code = 1 }));

        // Every acknowledged transfer is present, and the balance counts each present transfer exactly once.
        UInt128[] attempted;
        lock (load.Attempted) attempted = [.. load.Attempted];
        var present = new HashSet<UInt128>();
        for (int i = 0; i < attempted.Length; i += 1000)
        {
            foreach (Transfer t in await client.LookupTransfersAsync(attempted.AsMemory(i, Math.Min(1000, attempted.Length - i)))) present.Add(t.Id);
        }
        lock (load.Acked)
        {
            foreach (UInt128 id in load.Acked) Assert.Contains(id, present);
        }
        Account credit = Assert.Single(await client.LookupAccountsAsync(new UInt128[] { 2 }));
        Assert.Equal(present.Count * Amount, credit.CreditsPosted);
        output.WriteLine($"{load.AckedCount} acknowledged, {present.Count} present of {attempted.Length} attempted ({load.Errors} not acknowledged: timeouts/busy)");

        // Every replica's journal reproduces the same state, including the marker.
        // Wait (bounded) until every replica has applied what the leader had applied after the marker: a restarted
        // follower catches up from the log in the background, and the journals are compared only once it has.
        ServeNode leaderNow = await LeaderAsync(10_000, notId: 0);
        long target = await leaderNow.AppliedIndexAsync();
        Assert.True(target > 0, "the leader's applied index is not readable");
        long deadline = Environment.TickCount64 + 30_000;
        for (int id = 1; id <= 3; id++)
        {
            long applied;
            while ((applied = await _nodes[id]!.AppliedIndexAsync()) < target)
            {
                Assert.True(Environment.TickCount64 < deadline, $"node {id} applied {applied}, the leader {target}, 30 s after the marker");
                await Task.Delay(50);
            }
        }
        for (int id = 1; id <= 3; id++) Assert.Equal(0, await _nodes[id]!.TerminateAsync());
        var lastIndex = new long[4];
        for (int id = 1; id <= 3; id++)
        {
            ReplayResult end = LedgerReplay.Replay(Path.Combine(_root, $"node-{id}"), ReplayLedger(), ReplayTarget.End, useSnapshots: false);
            Assert.True(end.Ledger.TryGetTransfer(999_999_999, out _), $"node {id} lacks the marker (last index {end.LastIndex})");
            lastIndex[id] = end.LastIndex;
        }
        long common = Math.Min(lastIndex[1], Math.Min(lastIndex[2], lastIndex[3]));
        UInt128 digest = LedgerReplay.Replay(Path.Combine(_root, "node-1"), ReplayLedger(), ReplayTarget.AtIndex(common), useSnapshots: false).Ledger.ComputeDigest();
        for (int id = 2; id <= 3; id++)
        {
            Assert.Equal(digest, LedgerReplay.Replay(Path.Combine(_root, $"node-{id}"), ReplayLedger(), ReplayTarget.AtIndex(common), useSnapshots: false).Ledger.ComputeDigest());
        }
    }

    public void Dispose()
    {
        foreach (ServeNode? n in _nodes) n?.Dispose();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
