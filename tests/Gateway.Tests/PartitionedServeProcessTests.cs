using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The real executable with <c>--partitions 3</c>: one process, three partitions under data/p0..p2, the gateway routing
/// every account to its partition (SBE and HTTP), per-partition read models answering history and balance-at for
/// accounts on partitions other than 0, per-partition counters, a restart that keeps everything, and a data directory
/// refused when opened with another partition count.
/// </summary>
public sealed partial class PartitionedServeProcessTests
{
    private const int Partitions = 3;
    private static readonly PartitionMap s_map = PartitionMap.Uniform(Partitions);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Two account ids on <paramref name="partition"/>.</summary>
    private static (ulong, ulong) PairOn(int partition)
    {
        var ids = new List<ulong>();
        for (ulong id = 1000; ids.Count < 2; id++)
        {
            if (s_map.PartitionOf(id) == partition) ids.Add(id);
        }
        return (ids[0], ids[1]);
    }

    /// <summary>A <see cref="ServeProcess"/> with this suite's defaults (generous timeouts, a small account table) and an HTTP client.</summary>
    private sealed class Serve(string dataDir, int port, params string[] extra) : IDisposable
    {
        private readonly ServeProcess _process = new(dataDir, port,
            ["--Gateway:LogonTimeoutMs=60000", "--Http:CommandTimeoutMs=60000", "--Ledger:MaxAccounts=4096", .. extra]);

        public string Output => _process.Output;

        public async Task<(string Line, HttpClient Http)> ListeningAsync()
        {
            string line = await _process.ListeningAsync();
            Match m = HttpPort().Match(line);
            Assert.True(m.Success, line);
            var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:" + m.Groups[1].Value), Timeout = TimeSpan.FromSeconds(90) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin:admin-dev-password");
            return (line, http);
        }

        public Task<int> TerminateAsync() => _process.TerminateAsync();

        public Task<int> ExitAsync() => _process.ExitAsync();

        public void Dispose() => _process.Dispose();
    }

    [GeneratedRegex("HTTP on 127\\.0\\.0\\.1:([0-9]+)")]
    private static partial Regex HttpPort();

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await http.PostAsync(path, content);
    }

    /// <summary>GET until the read model has caught up (200 and <paramref name="expected"/> in the body), bounded.</summary>
    private static async Task<string> GetEventuallyAsync(HttpClient http, string path, string expected)
    {
        string last = string.Empty;
        for (int i = 0; i < 200; i++)
        {
            using HttpResponseMessage r = await http.GetAsync(path);
            last = $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
            if (r.StatusCode == HttpStatusCode.OK && last.Contains(expected, StringComparison.Ordinal)) return last;
            await Task.Delay(100);
        }
        throw new TimeoutException($"GET {path}: never saw '{expected}'; last answer {last}");
    }

    private static async Task<(int ExitCode, string Output, string Error)> WalletCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wallet.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Three_partitions_in_one_process_route_by_account_keep_everything_over_a_restart_and_refuse_another_count()
    {
        using var dir = new TempDirectory("serve-partitions");
        int port = FreePort();
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        // Sagas off: this test pins each partition's own log (the saga sequencer's clearing accounts would add a command
        // to each); PartitionedServeProcessTests.Sagas.cs covers cross-partition transfers.
        using (var serve = new Serve(dir.Path, port, "--partitions", "3", "--Saga:Enabled=false"))
        {
            (string line, HttpClient http) = await serve.ListeningAsync();
            using (http)
            {
                Assert.Contains("3 partitions", line, StringComparison.Ordinal);
                for (int p = 0; p < Partitions; p++)
                {
                    (ulong a, ulong b) = PairOn(p);
                    foreach (ulong id in new[] { a, b })
                        Assert.Equal(HttpStatusCode.Created, (await PostAsync(http, "/v1/accounts", $$"""{"id":"{{id}}","currency":"USD"}""")).StatusCode);
                    using HttpResponseMessage moved = await PostAsync(http, "/v1/wallet/balance_transfer",
                        $$"""{"from_account":"{{a}}","to_account":"{{b}}","amount":"1.0{{p}}","currency":"USD","transaction_id":"{{500 + p}}"}""");
                    Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
                }
                // Across partitions with the saga sequencer disabled: refused whole, nothing applied.
                (ulong p0, _) = PairOn(0);
                (ulong p2a, ulong p2b) = PairOn(2);
                using (HttpResponseMessage cross = await PostAsync(http, "/v1/wallet/balance_transfer",
                           $$"""{"from_account":"{{p0}}","to_account":"{{p2a}}","amount":"1","currency":"USD","transaction_id":"599"}"""))
                {
                    Assert.Equal(HttpStatusCode.BadRequest, cross.StatusCode);
                    Assert.Contains("different partitions", await cross.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }

                // Partition 2's read model answers for its accounts; exact and view transfer lookups find partition 2's transfer.
                await GetEventuallyAsync(http, $"/v1/accounts/{p2b}/history", "\"amount\":\"1.02\"");
                await GetEventuallyAsync(http, $"/v1/accounts/{p2b}/balance_at?index=2", "\"found\":true");
                await GetEventuallyAsync(http, "/v1/transfers/502?source=view", "\"amount\":\"1.02\"");
                await GetEventuallyAsync(http, "/v1/transfers/502", "\"amount\":\"1.02\"");
                await GetEventuallyAsync(http, "/v1/readmodel?partition=2", "\"index\":3");
                Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v1/transfers/599")).StatusCode);

                // Counters and gauges per partition: each applied its own two commands (accounts, transfer).
                string stat = await GetEventuallyAsync(http, "/v1/admin/stat", "\"partition.applied_index{partition=2}\":");
                using (JsonDocument doc = JsonDocument.Parse(stat[(stat.IndexOf(' ', StringComparison.Ordinal) + 1)..]))
                {
                    for (int p = 0; p < Partitions; p++)
                        Assert.Equal(3, doc.RootElement.GetProperty($"partition.applied_index{{partition={p}}}").GetInt64()); // 2 accounts, 1 transfer
                }
                string metrics = await (await http.GetAsync("/metrics")).Content.ReadAsStringAsync();
                Assert.Matches("wallet_partition_applied_index\\{[^}]*partition=\"2\"[^}]*\\} 3", metrics);
                Assert.Matches("wallet_readmodel_lag_records\\{[^}]*partition=\"1\"", metrics);
                // The runtime's meter: GC pauses and collections, to explain latency tails.
                Assert.Contains("dotnet_gc_collections", metrics, StringComparison.Ordinal);
                Assert.Contains("dotnet_gc_pause_time", metrics, StringComparison.Ordinal);

                // SBE: a transfer lookup asks every partition; balances are on each account's own partition.
                await using (RawClient admin = await RawClient.ConnectAsync(endpoint))
                {
                    await admin.LogonAsync("admin", "admin-dev-password");
                    Assert.Equal([(UInt128)502, 500, 501], (await admin.LookupTransfersAsync(502, 500, 501)).Select(t => t.Id));
                    Assert.Equal(102, Assert.Single(await admin.LookupAccountsAsync(p2b)).CreditsPosted);
                }
            }
            Assert.Equal(0, await serve.TerminateAsync());
            Assert.Contains("p2 index", serve.Output, StringComparison.Ordinal);
        }
        for (int p = 0; p < Partitions; p++) Assert.True(Directory.Exists(Path.Combine(dir.Path, $"p{p}")), $"p{p}/ missing");
        // The data-directory verbs work on one partition's directory, and say so when given the node's root.
        (ulong _, ulong onTwo) = PairOn(2);
        var root = await WalletCli("history", onTwo.ToString(CultureInfo.InvariantCulture), "--data-dir", dir.Path, "--json");
        Assert.Equal(2, root.ExitCode);
        Assert.Contains("with 3 partitions: give one partition's directory", root.Error, StringComparison.Ordinal);
        var history = await WalletCli("history", onTwo.ToString(CultureInfo.InvariantCulture), "--data-dir", Path.Combine(dir.Path, "p2"), "--json");
        Assert.True(history.ExitCode == 0, history.Output + history.Error);
        Assert.Contains("\"balance\":\"1.02\"", history.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir.Path, "partition-map")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.seg"));

        // Restart: every partition recovers its own log; a repeated transfer id is idempotent on its partition.
        using (var again = new Serve(dir.Path, port, "--partitions", "3", "--Saga:Enabled=false"))
        {
            (string line, HttpClient http) = await again.ListeningAsync();
            using (http)
            {
                Assert.Contains("p2=3", line, StringComparison.Ordinal);
                (ulong a, ulong b) = PairOn(1);
                using (HttpResponseMessage repeat = await PostAsync(http, "/v1/wallet/balance_transfer",
                           $$"""{"from_account":"{{a}}","to_account":"{{b}}","amount":"1.01","currency":"USD","transaction_id":"501"}"""))
                {
                    Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
                    Assert.Contains("\"Exists\"", await repeat.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                }
                await GetEventuallyAsync(http, $"/v1/accounts/{b}", "\"credits_posted\":\"1.01\"");
            }
            Assert.Equal(0, await again.TerminateAsync());
        }

        // Another count on the same directory: refused before anything opens (exit 3), naming both counts.
        using (var wrong = new Serve(dir.Path, port, "--partitions", "2"))
        {
            Assert.Equal(3, await wrong.ExitAsync());
            Assert.Contains("was created with 3 partition(s) but this node is configured with 2", wrong.Output, StringComparison.Ordinal);
        }
        using (var single = new Serve(dir.Path, port))
        {
            Assert.Equal(3, await single.ExitAsync());
            Assert.Contains("was created with 3 partition(s)", single.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_single_partition_directory_is_refused_with_several_partitions_and_bad_counts_name_the_setting()
    {
        using var dir = new TempDirectory("serve-partitions-legacy");
        int port = FreePort();
        using (var serve = new Serve(dir.Path, port))
        {
            (_, HttpClient http) = await serve.ListeningAsync();
            using (http) Assert.Equal(HttpStatusCode.Created, (await PostAsync(http, "/v1/accounts", """{"id":"7","currency":"USD"}""")).StatusCode);
            Assert.Equal(0, await serve.TerminateAsync());
        }
        // The layout written before the map file existed: journals in the root, no map file.
        File.Delete(Path.Combine(dir.Path, "partition-map"));
        using (var wrong = new Serve(dir.Path, port, "--partitions", "4"))
        {
            Assert.Equal(3, await wrong.ExitAsync());
            Assert.Contains("holds a single-partition node's data", wrong.Output, StringComparison.Ordinal);
        }
        using (var bad = new Serve(dir.Path, port, "--partitions", "65"))
        {
            Assert.Equal(2, await bad.ExitAsync());
            Assert.Contains("Serve:Partitions = '65' is invalid: expected an integer 1..64", bad.Output, StringComparison.Ordinal);
        }
        // Still a healthy one-partition directory (the map file is written again on this start).
        using (var again = new Serve(dir.Path, port))
        {
            (string line, HttpClient http) = await again.ListeningAsync();
            using (http) Assert.Contains("recovered to index 1", line, StringComparison.Ordinal);
            Assert.Equal(0, await again.TerminateAsync());
        }
        Assert.True(File.Exists(Path.Combine(dir.Path, "partition-map")));
    }
}
