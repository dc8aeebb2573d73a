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

    private sealed class ServeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Text.StringBuilder _output = new();

        public ServeProcess(string dataDir, int port, params string[] extra)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "serve", "--data-dir", dataDir, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Http:Port=0", .. extra])
                psi.ArgumentList.Add(a);
            _process = Process.Start(psi)!;
            _process.OutputDataReceived += (_, e) => OnLine(e.Data);
            _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        private void OnLine(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
            if (line.Contains("wallet serve: listening on", StringComparison.Ordinal)) _listening.TrySetResult(line);
        }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public async Task<string> ListeningAsync() => await _listening.Task.WaitAsync(TimeSpan.FromSeconds(30));

        public async Task<int> TerminateAsync()
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }

        public async Task<int> ExitAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill();
            _process.Dispose();
        }
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
            Assert.Contains("recovered to index 2", await again.ListeningAsync(), StringComparison.Ordinal);
            await using RawClient admin = await RawClient.ConnectAsync(endpoint);
            await admin.LogonAsync("admin", "admin-dev-password");
            Assert.Equal(250, Assert.Single(await admin.LookupTransfersAsync(1)).Amount);
            Assert.Equal(0, await again.TerminateAsync());
        }
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
}
