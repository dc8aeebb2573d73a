using System.Diagnostics;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Xunit.Abstractions;

namespace Wallet.Cluster.Tests;

/// <summary>
/// Forwarding between nodes under a leader crash: three `wallet serve` processes, each a replica of two partitions; one
/// SDK client connected to every node moves money within both partitions, so requests for a partition the client's node
/// does not lead are forwarded (docs/gateway.md). kill -9 of the node leading partition 1 mid-load — forwards in flight
/// to it end "outcome unknown", the SDK resubmits with the same ids — then it restarts. Afterwards every acknowledged
/// transfer is present exactly once: each partition's credited account holds exactly the present transfers' amounts.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class ForwardingFailoverProcessTests(ITestOutputHelper output) : IDisposable
{
    private const int Nodes = 3;
    private const int Partitions = 2;
    private const long Amount = 7;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "fwd-failover-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly ServeNode?[] _nodes = new ServeNode?[Nodes + 1];
    private readonly int[] _clientPorts = new int[Nodes + 1];
    private string _members = string.Empty;

    private static readonly string[] s_args =
    [
        "--Serve:Partitions=2", "--Cluster:PartitionPortStride=1", "--Ledger:MaxAccounts=4096", "--Ledger:MaxPendingTransfers=1024", "--Ledger:TransferRetentionCount=65536",
        "--Ledger:MaxBatchSize=1024", "--Gateway:MaxBatchSize=1024", "--Gateway:LogonTimeoutMs=60000", "--Partition:SnapshotIntervalCommands=0", "--Http:Port=0",
    ];

    private void StartNode(int id) => _nodes[id] = new ServeNode(id, Path.Combine(_root, $"node-{id}"), _members, s_args);

    private async Task<int> LeaderOfAsync(int partition, int timeoutMs, int notId = 0)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            for (int id = 1; id <= Nodes; id++)
            {
                if (id != notId && _nodes[id] is { } n && n.Leads(partition)) return id;
            }
            Assert.True(sw.ElapsedMilliseconds < timeoutMs, $"no leader of partition {partition} within {timeoutMs} ms:\n{AllOutput()}");
            await Task.Delay(20);
        }
    }

    private string AllOutput() => ServeNodes.AllOutput(_nodes);

    private static UInt128[] IdsOn(int partition, int count)
    {
        var ids = new List<UInt128>();
        for (ulong id = 100; ids.Count < count; id++)
        {
            if (s_map.PartitionOf(id) == partition) ids.Add(id);
        }
        return [.. ids];
    }

    /// <summary>
    /// Workers sending single transfers with unique ids, alternating the two partitions: SDK workers on every node's
    /// gateway, and one HTTP worker per node (`balance_transfer` on that node's API: a follower forwards it to the
    /// partition's leader even when one node leads everything). Records what was acknowledged.
    /// </summary>
    private sealed class Load(WalletClient[] clients, Func<int>[] httpPorts, UInt128[][] accounts)
    {
        private long _nextId = 10_000;
        private volatile bool _stop;
        public readonly List<UInt128> Attempted = [];
        public readonly List<UInt128> Acked = [];
        public int NotAcknowledged;
        public int HttpAcked;
        public readonly List<string> WrongAnswers = [];

        public Task RunAsync(int workersPerClient)
        {
            var tasks = new List<Task>();
            foreach (WalletClient client in clients)
            {
                for (int w = 0; w < workersPerClient; w++) tasks.Add(Task.Run(() => WorkAsync(client)));
            }
            foreach (Func<int> port in httpPorts) tasks.Add(Task.Run(() => HttpWorkAsync(port)));
            return Task.WhenAll(tasks);
        }

        public void Stop() => _stop = true;

        public int AckedCount { get { lock (Acked) return Acked.Count; } }

        private (UInt128 Id, UInt128[] On) Next()
        {
            long n = Interlocked.Increment(ref _nextId);
            var id = (UInt128)n;
            lock (Attempted) Attempted.Add(id);
            return (id, accounts[n % 2]);
        }

        private async Task WorkAsync(WalletClient client)
        {
            while (!_stop)
            {
                (UInt128 id, UInt128[] on) = Next();
                try
                {
                    ResultCode code = await client.CreateTransferAsync(new Transfer { Id = id, DebitAccountId = on[0], CreditAccountId = on[1], Amount = Amount, Ledger = 1, Code = 1 });
                    if (code == ResultCode.Ok) lock (Acked) Acked.Add(id);
                    else lock (WrongAnswers) WrongAnswers.Add($"{id}: {code}");
                }
                catch (Exception ex) when (ex is WalletBusyException or TimeoutException or OperationCanceledException or WalletRejectedException or WalletConnectionException)
                {
                    // Not acknowledged: it may or may not have committed (counted below only if present).
                    Interlocked.Increment(ref NotAcknowledged);
                    await Task.Delay(20);
                }
            }
        }

        private async Task HttpWorkAsync(Func<int> port)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin:admin-dev-password");
            while (!_stop)
            {
                int p = port();
                if (p == 0)
                {
                    await Task.Delay(50); // the node is down or not up yet
                    continue;
                }
                (UInt128 id, UInt128[] on) = Next();
                string body = $$"""{"from_account":"{{on[0]}}","to_account":"{{on[1]}}","amount":"0.07","currency":"USD","transaction_id":"{{id}}"}""";
                try
                {
                    using HttpResponseMessage r = await http.PostAsync(new Uri($"http://127.0.0.1:{p}/v1/wallet/balance_transfer"),
                        new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                    string text = await r.Content.ReadAsStringAsync();
                    if (r.StatusCode != System.Net.HttpStatusCode.OK)
                    {
                        // 503 (no leader yet / not taken) or 504 (outcome unknown): not acknowledged.
                        Interlocked.Increment(ref NotAcknowledged);
                        await Task.Delay(20);
                        continue;
                    }
                    using var json = System.Text.Json.JsonDocument.Parse(text);
                    // Acknowledged means committed, with the leader's receipt (forwarded or not).
                    if (json.RootElement.GetProperty("result").GetString() == "Ok" && json.RootElement.GetProperty("index").GetInt64() > 0)
                    {
                        lock (Acked) Acked.Add(id);
                        Interlocked.Increment(ref HttpAcked);
                    }
                    else lock (WrongAnswers) WrongAnswers.Add($"{id}: {text}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref NotAcknowledged);
                    await Task.Delay(50);
                }
            }
        }
    }

    private Task WaitForAcksAsync(Load load, int atLeast, int timeoutMs) => ServeNodes.WaitForAcksAsync(() => load.AckedCount, atLeast, timeoutMs, _nodes);

    [Fact]
    public async Task Kill_9_of_a_partition_leader_under_forwarded_load_loses_nothing_and_applies_nothing_twice()
    {
        // Each node's replication ports: one per partition plus the saga group's, consecutive (stride 1) from its base.
        int clientBase = ClusterVerbTests.FreeRange(Nodes), replicationBase = ClusterVerbTests.FreeRange(Nodes * (Partitions + 1));
        var parts = new List<string>();
        for (int id = 1; id <= Nodes; id++)
        {
            _clientPorts[id] = clientBase + id - 1;
            parts.Add($"{id}=127.0.0.1:{_clientPorts[id]}:{replicationBase + (id - 1) * (Partitions + 1)}");
        }
        _members = string.Join(',', parts);
        for (int id = 1; id <= Nodes; id++) StartNode(id);
        await LeaderOfAsync(0, 120_000);
        int victim = await LeaderOfAsync(1, 120_000);

        var seeds = new WalletEndpoint[Nodes];
        for (int i = 0; i < Nodes; i++) seeds[i] = new WalletEndpoint("127.0.0.1", _clientPorts[i + 1]);
        var clients = new WalletClient[Nodes];
        try
        {
            for (int i = 0; i < Nodes; i++)
            {
                clients[i] = await WalletClient.ConnectAsync(new WalletClientOptions
                {
                    Host = "127.0.0.1", Port = _clientPorts[i + 1], SeedEndpoints = seeds, ClientId = "admin", Credential = "admin-dev-password",
                    ConnectTimeoutMs = 60_000, RequestTimeoutMs = 30_000, ReconnectAttempts = 50, ReconnectMaxBackoffMs = 200, HeartbeatIntervalMs = 100,
                    BusyRetryLimit = 1000, BusyRetryMaxDelayMs = 200,
                });
            }
            UInt128[][] accounts = [IdsOn(0, 2), IdsOn(1, 2)];
            foreach (UInt128[] pair in accounts)
            {
                Assert.All(await clients[0].CreateAccountsAsync(new[] { new Account { Id = pair[0], Ledger = 1, Code = 1 }, new Account { Id = pair[1], Ledger = 1, Code = 1 } }),
                    r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, r.Code.ToString()));
            }

            var httpPorts = new Func<int>[Nodes];
            for (int i = 0; i < Nodes; i++)
            {
                int id = i + 1;
                httpPorts[i] = () => _nodes[id] is { HasExited: false } n ? n.HttpPort : 0;
            }
            var load = new Load(clients, httpPorts, accounts);
            Task running = load.RunAsync(workersPerClient: 4);
            long forwardedBefore;
            try
            {
                await WaitForAcksAsync(load, 300, 60_000);
                // Forwarding in full swing before the kill (the HTTP workers forward steadily from every follower).
                var forwarding = Stopwatch.StartNew();
                while ((forwardedBefore = await ForwardedAsync()) < 20)
                {
                    Assert.True(forwarding.ElapsedMilliseconds < 60_000, $"only {forwardedBefore} requests forwarded in 60 s:\n{AllOutput()}");
                    await Task.Delay(100);
                }

                // kill -9 the leader of partition 1 with forwards to it in flight; the survivors elect a new one.
                int ackedAtKill = load.AckedCount;
                _nodes[victim]!.Crash();
                int successor = await LeaderOfAsync(1, 15_000, notId: victim);
                await WaitForAcksAsync(load, ackedAtKill + 200, 60_000);
                output.WriteLine($"node {victim} (leader of partition 1) killed at {ackedAtKill} acks; node {successor} leads it now");

                // It comes back as a follower and catches up; the load goes on through every node again.
                _nodes[victim]!.Dispose();
                StartNode(victim);
                await WaitForAcksAsync(load, load.AckedCount + 200, 60_000);
            }
            finally
            {
                load.Stop();
                await running.WaitAsync(TimeSpan.FromSeconds(90));
            }

            Assert.Empty(load.WrongAnswers); // unique ids: a repeat answered Exists would have shown here
            Assert.True(load.HttpAcked > 0, "no HTTP transfer acknowledged");
            UInt128[] attempted;
            lock (load.Attempted) attempted = [.. load.Attempted];
            var present = new HashSet<UInt128>();
            for (int i = 0; i < attempted.Length; i += 500)
            {
                foreach (Transfer t in await clients[0].LookupTransfersAsync(attempted.AsMemory(i, Math.Min(500, attempted.Length - i)))) Assert.True(present.Add(t.Id));
            }
            lock (load.Acked)
            {
                foreach (UInt128 id in load.Acked) Assert.Contains(id, present);
            }
            // Exactly once: each partition's credited account holds the amounts of exactly the present transfers on it.
            Account[] credited = await clients[0].LookupAccountsAsync(new[] { accounts[0][1], accounts[1][1] });
            for (int p = 0; p < Partitions; p++)
            {
                long count = 0;
                foreach (UInt128 id in present)
                {
                    if ((long)(ulong)id % 2 == p) count++;
                }
                Assert.Equal(count * Amount, credited[p].CreditsPosted);
            }
            output.WriteLine($"{load.AckedCount} acknowledged ({load.HttpAcked} over HTTP), {present.Count} present of {attempted.Length} attempted " +
                $"({load.NotAcknowledged} not acknowledged); forwarded before the kill {forwardedBefore}, after {await ForwardedAsync()}");
        }
        finally
        {
            foreach (WalletClient? c in clients)
            {
                if (c is not null) await c.DisposeAsync();
            }
        }
        for (int id = 1; id <= Nodes; id++) Assert.Equal(0, await _nodes[id]!.TerminateAsync());
    }

    /// <summary>Requests the nodes forwarded to others so far (gateway.forwarded_requests, summed over the live nodes).</summary>
    private async Task<long> ForwardedAsync()
    {
        long sum = 0;
        for (int id = 1; id <= Nodes; id++)
        {
            if (_nodes[id] is { HasExited: false } n) sum += Math.Max(0, await n.StatAsync("gateway.forwarded_requests"));
        }
        return sum;
    }

    public void Dispose()
    {
        foreach (ServeNode? n in _nodes) n?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
