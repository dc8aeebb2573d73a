using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Cluster.Tests;

/// <summary>
/// Cross-partition transfers on a replicated cluster (`wallet cluster --partitions 2 --nodes 3`): the saga sequencer runs
/// as its own replicated group, its leader reaches partitions led on other nodes over the SBE gateway (System role),
/// and a kill -9 of the saga leader's process loses no acknowledged transfer: the next leader finishes every open saga
/// and clients resubmitting with the same ids get exactly-once outcomes.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed partial class ReplicatedSagaClusterTests : IDisposable
{
    private const int Partitions = 2;
    private const int Nodes = 3;
    private const long Funding = 1_000_000;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "cluster-saga-" + Guid.NewGuid().ToString("N")[..12]);

    [GeneratedRegex(@"\[node (\d+)\] wallet serve: saga group: replica \d+ is (\w+) in term")]
    private static partial Regex SagaRoleLine();

    [GeneratedRegex(@"\[node (\d+)\] wallet serve: partition (\d+): replica \d+ is (\w+) in term")]
    private static partial Regex PartitionRoleLine();

    [GeneratedRegex(@"wallet cluster: pids ([0-9 ]+);")]
    private static partial Regex PidsLine();

    private static UInt128 IdOn(int partition, ulong from)
    {
        for (ulong id = from; ; id++)
        {
            if (s_map.PartitionOf(id) == partition) return id;
        }
    }

    [Fact]
    public async Task Cross_partition_transfers_survive_a_kill_9_of_the_saga_leader()
    {
        int clientBase = ClusterVerbTests.FreeRange(Nodes), replicationBase = ClusterVerbTests.FreeRange(Nodes * (Partitions + 1)), httpBase = ClusterVerbTests.FreeRange(Nodes);
        var gate = new object();
        var partitionLeaders = new int[Partitions];
        int sagaLeader = 0;
        int[] pids = [];
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using ClusterProcess cluster = ClusterProcess.Start(["--data-dir", _root,
            "--partitions", Partitions.ToString(CultureInfo.InvariantCulture), "--nodes", Nodes.ToString(CultureInfo.InvariantCulture),
            "--base-port", clientBase.ToString(CultureInfo.InvariantCulture),
            "--replication-base-port", replicationBase.ToString(CultureInfo.InvariantCulture),
            "--http-base-port", httpBase.ToString(CultureInfo.InvariantCulture),
            "--Gateway:LogonTimeoutMs=60000", "--Ledger:MaxAccounts=4096", "--Partition:PreallocateTransfers=false",
            "--Partition:Fsync=none",
            // A kill -9 costs elections in the saga group and in the partitions the victim led; on a loaded 2-core
            // runner that took longer than the default 5 s step deadline once (a correct SagaStepTimedOut, but not
            // what this test is about): let the steps wait for the failover instead of compensating.
            "--Saga:StepDeadlineMs=60000"], line =>
        {
            lock (gate)
            {
                Match pid = PidsLine().Match(line);
                if (pid.Success) pids = [.. pid.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
                Match s = SagaRoleLine().Match(line);
                if (s.Success)
                {
                    int node = int.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture);
                    if (s.Groups[2].Value == "leader") sagaLeader = node;
                    else if (sagaLeader == node) sagaLeader = 0;
                }
                Match m = PartitionRoleLine().Match(line);
                if (m.Success)
                {
                    int node = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), partition = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                    if (m.Groups[3].Value == "leader") partitionLeaders[partition] = node;
                    else if (partitionLeaders[partition] == node) partitionLeaders[partition] = 0;
                }
                if (sagaLeader > 0 && Array.TrueForAll(partitionLeaders, l => l > 0) && pids.Length == Nodes) ready.TrySetResult();
            }
        });
        var seeds = new WalletEndpoint[Nodes];
        for (int i = 0; i < Nodes; i++) seeds[i] = new WalletEndpoint("127.0.0.1", clientBase + i);
        WalletClientOptions Options(int node) => new()
        {
            Port = clientBase + node - 1, SeedEndpoints = seeds, ClientId = "admin", Credential = "admin-dev-password",
            ConnectTimeoutMs = 60_000, RequestTimeoutMs = 30_000, BusyRetryLimit = 1000, ReconnectAttempts = 100, MaxRedirects = 20,
        };
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
            UInt128[] customer = [IdOn(0, 1000), IdOn(1, 1000)];
            for (int p = 0; p < Partitions; p++)
            {
                int leader;
                lock (gate) leader = partitionLeaders[p];
                await using WalletClient admin = await WalletClient.ConnectAsync(Options(Math.Max(leader, 1)));
                UInt128 bank = IdOn(p, 500);
                Assert.All(await admin.CreateAccountsAsync(new[]
                    {
                        new Account { Id = bank, Ledger = 1, Code = 1 },
                        new Account { Id = customer[p], Ledger = 1, Code = 1, Flags = AccountFlags.DebitsMustNotExceedCredits },
                    }), r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, r.Code.ToString()));
                Assert.Equal(ResultCode.Ok, await admin.CreateTransferAsync(new Transfer { Id = 900 + (UInt128)p, DebitAccountId = bank, CreditAccountId = customer[p], Amount = Funding, Ledger = 1, Code = 1 }));
            }

            // Cross-partition transfers both ways, through whichever node; the SDK follows Redirects to the saga leader.
            long[] moved = new long[Partitions]; // net amount out of customer[p]
            int next = 0;
            async Task RunBatch(int count, int startNode)
            {
                await using WalletClient client = await WalletClient.ConnectAsync(Options(startNode));
                var pending = new List<Task<ResultCode>>();
                var amounts = new List<(int From, long Amount)>();
                for (int i = 0; i < count; i++, next++)
                {
                    int from = next % 2;
                    long amount = 1 + (next % 7);
                    // One request per transfer (CreateTransferAsync would coalesce them; a cross-partition one must be alone).
                    var transfer = new Transfer
                    {
                        Id = 10_000 + (UInt128)next, DebitAccountId = customer[from], CreditAccountId = customer[1 - from], Amount = amount, Ledger = 1, Code = 1,
                    };
                    pending.Add(client.CreateTransfersAsync(new[] { transfer }).ContinueWith(t => t.Result[0].Code, TaskScheduler.Default));
                    amounts.Add((from, amount));
                }
                ResultCode[] codes = await Task.WhenAll(pending);
                for (int i = 0; i < codes.Length; i++)
                {
                    Assert.True(codes[i] == ResultCode.Ok, $"transfer {i}: {codes[i]}");
                    moved[amounts[i].From] += amounts[i].Amount;
                    moved[1 - amounts[i].From] -= amounts[i].Amount;
                }
            }

            // The saga group's leader as the nodes print it (0 during an election: wait, bounded).
            async Task<int> SagaLeaderAsync(int not = 0)
            {
                var until = DateTime.UtcNow.AddSeconds(60);
                while (true)
                {
                    lock (gate)
                    {
                        if (sagaLeader > 0 && sagaLeader != not) return sagaLeader;
                    }
                    if (DateTime.UtcNow > until) throw new TimeoutException("no saga leader printed");
                    await Task.Delay(50);
                }
            }

            int sagaNode = await SagaLeaderAsync();
            await RunBatch(60, startNode: sagaNode % Nodes + 1); // start at a node that is not the saga leader
            sagaNode = await SagaLeaderAsync(); // (an election under load may have moved it)

            // kill -9 the saga leader's process with sagas in flight, then keep going.
            var inFlight = RunBatch(60, startNode: sagaNode);
            await Task.Delay(50);
            int victim;
            lock (gate) victim = pids[sagaNode - 1];
            using (var kill = Process.Start("kill", ["-KILL", victim.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            await inFlight.WaitAsync(TimeSpan.FromSeconds(120));
            await RunBatch(60, startNode: sagaNode % Nodes + 1);

            // Balances settle (Saga mode answers at the commit point; the source's post follows): exact, nothing pending.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            for (int p = 0; p < Partitions; p++)
            {
                await using WalletClient reader = await WalletClient.ConnectAsync(Options(sagaNode % Nodes + 1));
                Account a;
                do
                {
                    a = Assert.Single(await reader.LookupAccountsAsync(new[] { customer[p] }));
                    if (a.DebitsPending == 0 && (long)(a.CreditsPosted - a.DebitsPosted) == Funding - moved[p]) break;
                    await Task.Delay(200);
                }
                while (DateTime.UtcNow < deadline);
                Assert.Equal(0, a.DebitsPending);
                Assert.Equal(Funding - moved[p], (long)(a.CreditsPosted - a.DebitsPosted));
            }
            // The operator's CLI reads both customers (two partitions, two leaders) in one `account show`.
            int survivor = sagaNode % Nodes + 1;
            var cli = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "account", "show", customer[0].ToString(), customer[1].ToString(),
                         "--port", (clientBase + survivor - 1).ToString(CultureInfo.InvariantCulture)])
                cli.ArgumentList.Add(arg);
            cli.Environment["WALLET_PASSWORD"] = "admin-dev-password";
            using (Process show = Process.Start(cli)!)
            {
                Task<string> shown = show.StandardOutput.ReadToEndAsync();
                Task<string> errors = show.StandardError.ReadToEndAsync();
                using var cliTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
                await show.WaitForExitAsync(cliTimeout.Token);
                string text = await shown;
                Assert.True(show.ExitCode == 0, text + await errors);
                Assert.Contains($"account {customer[0]} ", text, StringComparison.Ordinal);
                Assert.Contains($"account {customer[1]} ", text, StringComparison.Ordinal);
            }

            int newLeader = await SagaLeaderAsync(not: sagaNode);
            Assert.NotEqual(sagaNode, newLeader);

            // The operator's view (/v1/admin/stat): the survivors agree on the saga group's leader, it has no open saga,
            // and both replicas applied the same saga log (hot standby).
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin:admin-dev-password");
            async Task<System.Text.Json.JsonElement> StatAsync(int node) =>
                System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{httpBase + node - 1}/v1/admin/stat")).RootElement;
            int[] survivors = [.. Enumerable.Range(1, Nodes).Where(n => n != sagaNode)];
            var statDeadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var stats = new List<System.Text.Json.JsonElement>();
                foreach (int n in survivors) stats.Add(await StatAsync(n));
                long leaders = stats.Count(st => st.GetProperty("saga.role").GetInt64() == 3);
                long[] applied = [.. stats.Select(st => st.GetProperty("saga.applied_index").GetInt64())];
                bool agreed = leaders == 1 && applied.Distinct().Count() == 1 && stats.All(st => st.GetProperty("saga.leader_id").GetInt64() == newLeader)
                    && stats.All(st => st.GetProperty("saga.open").GetInt64() == 0);
                if (agreed) break;
                Assert.True(DateTime.UtcNow < statDeadline, $"saga stat: {leaders} leaders, applied {string.Join(',', applied)}, leader ids {string.Join(',', stats.Select(st => st.GetProperty("saga.leader_id").GetInt64()))}");
                await Task.Delay(200);
            }
        }
        finally
        {
            await cluster.StopAsync();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
