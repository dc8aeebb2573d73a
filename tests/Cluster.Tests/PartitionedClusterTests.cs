using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Cluster.Tests;

/// <summary>
/// `wallet cluster --partitions 2 --nodes 3`: three replica processes, each hosting a replica of both partitions; each
/// partition elects its own leader, serves its own accounts through that leader, and every replica of each partition
/// applies the same commands. SIGTERM stops every node cleanly.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed partial class PartitionedClusterTests : IDisposable
{
    private const int Partitions = 2;
    private const int Nodes = 3;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "cluster-partitions-" + Guid.NewGuid().ToString("N")[..12]);

    [GeneratedRegex(@"\[node (\d+)\] wallet serve: partition (\d+): replica \d+ is (\w+) in term")]
    private static partial Regex RoleLine();

    private static UInt128[] IdsOn(int partition, int count)
    {
        var ids = new List<UInt128>();
        for (ulong id = 100; ids.Count < count; id++)
        {
            if (s_map.PartitionOf(id) == partition) ids.Add(id);
        }
        return [.. ids];
    }

    [Fact]
    public async Task Two_partitions_times_three_replicas_each_partition_led_and_replicated_on_its_own()
    {
        int clientBase = ClusterVerbTests.FreeRange(Nodes), replicationBase = ClusterVerbTests.FreeRange(Nodes * (Partitions + 1)), httpBase = ClusterVerbTests.FreeRange(Nodes);
        var leaders = new int[Partitions];
        var bothLed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using ClusterProcess cluster = ClusterProcess.Start(["--data-dir", _root,
            "--partitions", Partitions.ToString(CultureInfo.InvariantCulture), "--nodes", Nodes.ToString(CultureInfo.InvariantCulture),
            "--base-port", clientBase.ToString(CultureInfo.InvariantCulture),
            "--replication-base-port", replicationBase.ToString(CultureInfo.InvariantCulture),
            "--http-base-port", httpBase.ToString(CultureInfo.InvariantCulture),
            "--Gateway:LogonTimeoutMs=60000", "--Ledger:MaxAccounts=4096"], line =>
        {
            Match m = RoleLine().Match(line);
            if (!m.Success) return;
            int node = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), partition = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            lock (leaders)
            {
                if (m.Groups[3].Value == "leader") leaders[partition] = node;
                else if (leaders[partition] == node) leaders[partition] = 0;
                if (Array.TrueForAll(leaders, l => l > 0)) bothLed.TrySetResult();
            }
        });
        try
        {
            await bothLed.Task.WaitAsync(TimeSpan.FromSeconds(120));
            var seeds = new WalletEndpoint[Nodes];
            for (int i = 0; i < Nodes; i++) seeds[i] = new WalletEndpoint("127.0.0.1", clientBase + i);
            for (int p = 0; p < Partitions; p++)
            {
                int leader;
                lock (leaders) leader = leaders[p];
                // A client per partition, at that partition's leader (a leader change on the way is a redirect the SDK follows).
                await using WalletClient client = await WalletClient.ConnectAsync(new WalletClientOptions
                {
                    Port = clientBase + Math.Max(leader, 1) - 1, SeedEndpoints = seeds, ClientId = "admin", Credential = "admin-dev-password",
                    ConnectTimeoutMs = 60_000, RequestTimeoutMs = 30_000, BusyRetryLimit = 1000, ReconnectAttempts = 50,
                });
                UInt128[] ids = IdsOn(p, 2);
                Assert.All(await client.CreateAccountsAsync(new[] { new Account { Id = ids[0], Ledger = 1, Code = 1 }, new Account { Id = ids[1], Ledger = 1, Code = 1 } }),
                    r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, r.Code.ToString()));
                Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(new Transfer { Id = 70 + (UInt128)p, DebitAccountId = ids[0], CreditAccountId = ids[1], Amount = 100 + p, Ledger = 1, Code = 1 }));
                Assert.Equal(100L + p, Assert.Single(await client.LookupAccountsAsync(new[] { ids[1] })).CreditsPosted);
            }

            // Every replica of every partition applied that partition's two commands (accounts, transfer): read each node's counters.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "admin:admin-dev-password");
            await AnyNodeServesEveryPartition(clientBase, seeds, http, httpBase);
            for (int node = 1; node <= Nodes; node++)
            {
                long[] applied = new long[Partitions];
                for (int attempt = 0; attempt < 300 && Array.Exists(applied, a => a < 2); attempt++)
                {
                    string body;
                    try
                    {
                        body = await http.GetStringAsync($"http://127.0.0.1:{httpBase + node - 1}/v1/admin/stat");
                    }
                    catch (HttpRequestException)
                    {
                        // Two leaders need only a majority: a slower node may still be starting (its HTTP not listening yet).
                        await Task.Delay(100);
                        continue;
                    }
                    using JsonDocument stat = JsonDocument.Parse(body);
                    for (int p = 0; p < Partitions; p++) applied[p] = stat.RootElement.GetProperty($"partition.applied_index{{partition={p}}}").GetInt64();
                    if (Array.Exists(applied, a => a < 2)) await Task.Delay(100);
                }
                Assert.All(applied, a => Assert.True(a >= 2, $"node {node}: applied {string.Join(',', applied)}"));
            }
        }
        finally
        {
            await cluster.StopAsync();
        }
        string text = cluster.Output;
        Assert.True(cluster.ExitCode == 0, text);
        for (int node = 1; node <= Nodes; node++)
        {
            Assert.Contains($"[node {node}] wallet serve: stopped at p0 index", text, StringComparison.Ordinal);
            for (int p = 0; p < Partitions; p++) Assert.True(Directory.Exists(Path.Combine(_root, $"node-{node}", $"p{p}")));
        }
    }

    /// <summary>
    /// Any node serves a client whole, wherever the partitions' leaders are (docs/gateway.md, "Forwarding between nodes"):
    /// one SDK client per node, many callers at once — transfers within partition 0, within partition 1 and across the
    /// two — coalesced by the SDK into messages that mix partitions. Items led by another node are forwarded there (or,
    /// when one node leads everything, the client is redirected to it once). Every transfer is Ok and the balances exact.
    /// </summary>
    private static async Task AnyNodeServesEveryPartition(int clientBase, WalletEndpoint[] seeds, HttpClient http, int httpBase)
    {
        UInt128[] on0 = IdsOn(0, 2), on1 = IdsOn(1, 2);
        var expected = new Dictionary<UInt128, (long Debits, long Credits)>();
        await using (WalletClient reader = await ConnectAsync(clientBase, seeds, node: 1))
        {
            foreach (Account a in await reader.LookupAccountsAsync(new[] { on0[0], on0[1], on1[0], on1[1] })) expected[a.Id] = (a.DebitsPosted, a.CreditsPosted);
        }
        const int Callers = 48;
        for (int node = 1; node <= Nodes; node++)
        {
            await using WalletClient client = await ConnectAsync(clientBase, seeds, node);
            var calls = new Task<ResultCode>[Callers];
            for (int i = 0; i < Callers; i++)
            {
                (UInt128 debit, UInt128 credit) = (i % 3) switch { 0 => (on0[0], on0[1]), 1 => (on1[0], on1[1]), _ => (on0[1], on1[1]) };
                long amount = 1 + i;
                calls[i] = client.CreateTransferAsync(new Transfer { Id = (UInt128)(10_000 + node * 1_000 + i), DebitAccountId = debit, CreditAccountId = credit, Amount = amount, Ledger = 1, Code = 1 });
                expected[debit] = (expected[debit].Debits + amount, expected[debit].Credits);
                expected[credit] = (expected[credit].Debits, expected[credit].Credits + amount);
            }
            ResultCode[] codes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(120));
            Assert.All(codes, c => Assert.Equal(ResultCode.Ok, c));
            // A transfer lookup asks every partition (a transfer id names none): whichever node leads each, one answer.
            UInt128[] asked = [(UInt128)(10_000 + node * 1_000), (UInt128)(10_000 + node * 1_000 + 1), 999_999];
            Transfer[] found = await client.LookupTransfersAsync(asked);
            Assert.Equal([asked[0], asked[1]], found.Select(t => t.Id));
        }
        // Saga mode answers at the commit point; the source's post follows: wait until nothing is pending, then exact.
        await using (WalletClient reader = await ConnectAsync(clientBase, seeds, node: 2))
        {
            Account[] accounts = [];
            for (DateTime until = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < until; await Task.Delay(100))
            {
                accounts = await reader.LookupAccountsAsync(new[] { on0[0], on0[1], on1[0], on1[1] });
                if (Array.TrueForAll(accounts, a => a.DebitsPending == 0)) break;
            }
            Assert.Equal(4, accounts.Length);
            foreach (Account a in accounts) Assert.Equal((a.Id, expected[a.Id].Debits, expected[a.Id].Credits, 0L), (a.Id, a.DebitsPosted, a.CreditsPosted, a.DebitsPending));
        }
        // What went between nodes (not asserted: the elections decide whether leaderships are spread).
        long forwarded = 0;
        for (int node = 1; node <= Nodes; node++)
        {
            using JsonDocument stat = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{httpBase + node - 1}/v1/admin/stat"));
            forwarded += stat.RootElement.GetProperty("gateway.forwarded_requests").GetInt64();
            Assert.Equal(0, stat.RootElement.GetProperty("gateway.forward_failures").GetInt64());
        }
        Console.WriteLine($"forwarded requests over the cluster: {forwarded}");
    }

    private static Task<WalletClient> ConnectAsync(int clientBase, WalletEndpoint[] seeds, int node) =>
        WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = clientBase + node - 1, SeedEndpoints = seeds, ClientId = "admin", Credential = "admin-dev-password",
            ConnectTimeoutMs = 60_000, RequestTimeoutMs = 60_000, BusyRetryLimit = 1000, ReconnectAttempts = 50,
        });

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
