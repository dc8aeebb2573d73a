using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Tests.Support;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests;

/// <summary>The real executable: start, serve the demo users, SIGTERM → drained, snapshotted, exit 0; restart keeps the data.</summary>
public sealed class ServeProcessTests
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serve_takes_transfers_from_the_demo_users_and_a_SIGTERM_drains_and_snapshots()
    {
        using var dir = new TempDirectory("serve");
        int port = FreePort();
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        // The demo users' hashes use the production PBKDF2 cost (600k iterations): on a loaded 2-core runner a logon
        // can take seconds, so this test (about drain, snapshot and restart) allows it a generous logon timeout.
        const string slowLogonOk = "--Gateway:LogonTimeoutMs=60000";
        using (var serve = new ServeProcess(dir.Path, port, slowLogonOk))
        {
            string line = await serve.ListeningAsync();
            Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
            Assert.Contains(dir.Path, line, StringComparison.Ordinal);
            await using (RawClient admin = await RawClient.ConnectAsync(endpoint))
            {
                await admin.LogonAsync("admin", "admin-dev-password");
                Assert.All((await admin.CreateAccountsAsync(1, 1000, 2000)).Results, r => Assert.Equal((uint)ResultCode.Ok, r.Code));
                await using RawClient demo = await RawClient.ConnectAsync(endpoint);
                await demo.LogonAsync("demo", "demo-dev-password");
                Assert.Equal((uint)ResultCode.Ok, (await demo.CreateTransfersAsync(new TransferSpec(1, 1000, 2000, 250))).Results[0].Code);
                // The demo client may not debit 2000.
                await demo.SendMessageAsync(RawClient.CreateTransfers(99, new TransferSpec(2, 2000, 1000, 1)));
                Assert.Equal(RejectReason.Unauthorized, (await demo.ExpectAsync(RejectDecoder.TemplateId)).AsReject().Reason);
            }
            Assert.Equal(0, await serve.TerminateAsync());
            Assert.Contains("stopped at index 2, snapshot at 2", serve.Output, StringComparison.Ordinal);
        }

        using (var again = new ServeProcess(dir.Path, port, slowLogonOk))
        {
            // From the final snapshot of the graceful stop: nothing to replay.
            Assert.Contains("recovered to index 2 (snapshot at 2 + 0 commands replayed)", await again.ListeningAsync(), StringComparison.Ordinal);
            await using RawClient admin = await RawClient.ConnectAsync(endpoint);
            await admin.LogonAsync("admin", "admin-dev-password");
            Assert.Equal(250, Assert.Single(await admin.LookupTransfersAsync(1)).Amount);
            Assert.Equal(0, await again.TerminateAsync());
        }
    }

    [Fact]
    public async Task A_SIGTERM_while_serve_is_still_starting_drains_and_exits_0()
    {
        // Signals from the moment the SBE gateway listens, every 15 ms: one lands while the HTTP host starts. The HTTP host
        // used to install its own console lifetime, which cancelled its start on SIGTERM: "Hosting failed to start",
        // exit 1 — seen in CI when `wallet cluster` was stopped while one replica was still starting.
        using var dir = new TempDirectory("serve-early-stop");
        using var serve = new ServeProcess(dir.Path, FreePort());
        await serve.LineAsync("Gateway listening on");
        int code = await serve.TerminateRepeatedlyAsync(intervalMs: 15);
        Assert.True(code == 0, $"exit code {code}\n{serve.Output}");
        Assert.Contains("wallet serve: stopped at index", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", serve.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_exits_2_naming_a_bad_setting_and_3_when_the_port_is_taken()
    {
        using var dir = new TempDirectory("serve-bad");
        using (var bad = new ServeProcess(dir.Path, 7400, "--Partition:Fsync=sometimes"))
        {
            Assert.Equal(2, await bad.ExitAsync());
            Assert.Contains("Partition:Fsync", bad.Output, StringComparison.Ordinal);
        }
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        using var busy = new ServeProcess(dir.Path, ((IPEndPoint)taken.LocalEndpoint).Port);
        Assert.Equal(3, await busy.ExitAsync());
        Assert.Contains("cannot listen", busy.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> WalletCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wallet.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["WALLET_PASSWORD"] = "admin-dev-password";
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Serve_hosts_the_http_api_and_the_read_model_and_the_operator_verbs_drive_it()
    {
        using var dir = new TempDirectory("serve-http");
        int port = FreePort();
        using (var serve = new ServeProcess(dir.Path, port, "--Gateway:LogonTimeoutMs=60000", "--Http:CommandTimeoutMs=60000"))
        {
            string line = await serve.ListeningAsync();
            System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(line, "HTTP on 127\\.0\\.0\\.1:([0-9]+)");
            Assert.True(m.Success, line);
            string url = "http://127.0.0.1:" + m.Groups[1].Value;
            using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(90) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin:admin-dev-password");
            foreach (string id in new[] { "1000", "2000" })
            {
                using var content = new StringContent($$"""{"id":"{{id}}","currency":"USD"}""", System.Text.Encoding.UTF8, "application/json");
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/v1/accounts", content)).StatusCode);
            }
            using (var transfer = new StringContent("""{"from_account":"1000","to_account":"2000","amount":"12.34","currency":"USD","transaction_id":"1"}""", System.Text.Encoding.UTF8, "application/json"))
                Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/wallet/balance_transfer", transfer)).StatusCode);

            var close = await WalletCli("account", "close", "2000", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout-ms", "60000");
            Assert.True(close.ExitCode == 0, close.Output + close.Error);
            Assert.Contains("account 2000 closed", close.Output, StringComparison.Ordinal);

            var snapshot = await WalletCli("snapshot", "--url", url);
            Assert.True(snapshot.ExitCode == 0, snapshot.Output + snapshot.Error);
            long snapshotIndex = -1;
            for (int i = 0; i < 50 && snapshotIndex < 4; i++)
            {
                var stat = await WalletCli("stat", "--url", url, "--json");
                Assert.True(stat.ExitCode == 0, stat.Output + stat.Error);
                using var doc = System.Text.Json.JsonDocument.Parse(stat.Output);
                snapshotIndex = doc.RootElement.GetProperty("partition.last_snapshot_index").GetInt64();
                if (snapshotIndex < 4) await Task.Delay(100);
            }
            Assert.Equal(4, snapshotIndex); // accounts 1, 2, transfer 3, close 4

            Assert.Equal(0, await serve.TerminateAsync());
        }

        // After the stop: the read model on disk answers, and the replay agrees with it.
        var history = await WalletCli("history", "1000", "--data-dir", dir.Path, "--json");
        Assert.True(history.ExitCode == 0, history.Output + history.Error);
        Assert.Contains("\"balance\":\"-12.34\"", history.Output, StringComparison.Ordinal);
        var replay = await WalletCli("audit", "replay", "--at", "4", "--data-dir", dir.Path);
        Assert.True(replay.ExitCode == 0, replay.Output + replay.Error);
        Assert.Contains("read model agrees with the replay: 2 accounts", replay.Output, StringComparison.Ordinal);
    }
}
