using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Wallet.Client;
using Wallet.Engine.Ledger;

namespace Wallet.Cluster.Tests;

/// <summary>`wallet cluster`: three replicas as child processes; a client connected to any node is served; SIGTERM stops all.</summary>
[Collection(ProcessClusters.Name)]
public sealed class ClusterVerbTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "cluster-verb-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>A base port with <paramref name="count"/> free consecutive ports after it (best effort; retried by the caller).</summary>
    internal static int FreeRange(int count)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            // Below Linux's ephemeral range (32768+): ports the kernel hands to other tests' connections and port-0
            // listeners cannot take the block between this probe and the children binding it.
            int start = Random.Shared.Next(20_000, 32_000 - count);
            var held = new List<TcpListener>();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var l = new TcpListener(IPAddress.Loopback, start + i);
                    l.Start();
                    held.Add(l);
                }
                return start;
            }
            catch (SocketException) { }
            finally
            {
                foreach (TcpListener l in held) l.Stop();
            }
        }
        throw new InvalidOperationException("no free port range");
    }

    [Fact]
    public async Task Wallet_cluster_runs_three_replicas_that_serve_a_client_and_stop_together()
    {
        int clientBase = FreeRange(3), replicationBase = FreeRange(3), httpBase = FreeRange(3);
        var leader = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using ClusterProcess cluster = ClusterProcess.Start(["--data-dir", _root,
            "--base-port", clientBase.ToString(CultureInfo.InvariantCulture),
            "--replication-base-port", replicationBase.ToString(CultureInfo.InvariantCulture),
            "--http-base-port", httpBase.ToString(CultureInfo.InvariantCulture),
            "--Gateway:LogonTimeoutMs=60000", "--Ledger:MaxAccounts=4096"], line =>
        {
            if (line.Contains(" is leader in term ", StringComparison.Ordinal)) leader.TrySetResult();
        });
        try
        {
            if (await Task.WhenAny(leader.Task, Task.Delay(TimeSpan.FromSeconds(90))) != leader.Task)
                Assert.Fail("no replica became leader within 90 s; wallet cluster printed:\n" + cluster.Output);

            // Any node will do: a follower redirects (or answers Busy during an election) and the SDK follows.
            var seeds = new[] { new WalletEndpoint("127.0.0.1", clientBase), new WalletEndpoint("127.0.0.1", clientBase + 1), new WalletEndpoint("127.0.0.1", clientBase + 2) };
            await using WalletClient client = await WalletClient.ConnectAsync(new WalletClientOptions
            {
                Port = clientBase + 2, SeedEndpoints = seeds, ClientId = "admin", Credential = "admin-dev-password",
                ConnectTimeoutMs = 60_000, RequestTimeoutMs = 30_000, BusyRetryLimit = 1000, ReconnectAttempts = 50,
            });
            Assert.All(await client.CreateAccountsAsync(new[] { new Account { Id = 1, Ledger = 1, Code = 1 }, new Account { Id = 2, Ledger = 1, Code = 1 } }),
                r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, r.Code.ToString()));
            Assert.Equal(ResultCode.Ok, await client.CreateTransferAsync(new Transfer { Id = 10, DebitAccountId = 1, CreditAccountId = 2, Amount = 1234, Ledger = 1, Code = 1 }));
            Assert.Equal(1234L, Assert.Single(await client.LookupAccountsAsync(new UInt128[] { 2 })).CreditsPosted);
            await EveryReplicasHttpApiAnswersAsync(httpBase);
        }
        finally
        {
            await cluster.StopAsync();
        }
        string text = cluster.Output;
        Assert.Equal(0, cluster.ExitCode);
        Assert.Contains("wallet cluster: stopped", text, StringComparison.Ordinal);
        for (int id = 1; id <= 3; id++) Assert.True(text.Contains($"[node {id}] wallet serve: stopped at index", StringComparison.Ordinal), text);
    }

    /// <summary>
    /// Exact reads through each replica's HTTP API: every replica answers the same, with the leader's log index — the
    /// leader itself, each follower by forwarding the read to it (docs/gateway.md, "Forwarding between nodes"; a follower without forwarding answers 503
    /// NotLeader naming the leader's API: HttpLeadershipTests).
    /// </summary>
    private static async Task EveryReplicasHttpApiAnswersAsync(int httpBase)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin:admin-dev-password");
        string last = "";
        long deadline = Environment.TickCount64 + 30_000;
        while (Environment.TickCount64 < deadline)
        {
            last = "";
            var answered = new List<string>();
            var bodies = new HashSet<string>();
            for (int i = 0; i < 3; i++)
            {
                string url = $"http://127.0.0.1:{httpBase + i}";
                HttpResponseMessage r;
                try
                {
                    r = await http.GetAsync(url + "/v1/accounts/2");
                }
                catch (HttpRequestException ex)
                {
                    last += $"{url}: {ex.Message}\n"; // a replica's API starts after its gateway: not up yet
                    continue;
                }
                using HttpResponseMessage response = r;
                string body = await r.Content.ReadAsStringAsync();
                if (r.StatusCode == System.Net.HttpStatusCode.OK)
                {
                    answered.Add(url);
                    using var doc = System.Text.Json.JsonDocument.Parse(body);
                    bodies.Add(doc.RootElement.GetProperty("balances").GetRawText());
                    // Exact, and read at a real position of the leader's log: a follower relays the leader's receipt.
                    System.Text.Json.JsonElement source = doc.RootElement.GetProperty("source");
                    Assert.Equal("exact", source.GetProperty("kind").GetString());
                    Assert.True(source.GetProperty("index").GetInt64() > 0, $"{url} answered from log index 0: {body}");
                }
                last += $"{url}: {(int)r.StatusCode} {body}\n";
            }
            if (answered.Count == 3 && bodies.Count == 1) return;
            await Task.Delay(200);
        }
        Assert.Fail("not every replica's HTTP API answered the leader's exact read:\n" + last);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
