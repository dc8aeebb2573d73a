using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests;

/// <summary>The real executable with the "Fix" section enabled: the acceptor answers a Logon, and SIGTERM logs it out.</summary>
public sealed class ServeFixProcessTests
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact(Timeout = 120_000)]
    public async Task Serve_with_Fix_enabled_accepts_a_partner_logon_and_logs_it_out_on_SIGTERM()
    {
        using var dir = new TempDirectory("serve-fix");
        int port = FreePort(), fixPort = FreePort();
        string hash = PasswordHasher.Hash("partner-secret", PasswordHasher.MinIterations);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "serve", "--data-dir", dir.Path,
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--Http:Port=0", "--Fix:Enabled=true", $"--Fix:Port={fixPort}",
            $"--Fix:Partners:0:PasswordHash={hash}"])
            psi.ArgumentList.Add(a);
        using Process process = Process.Start(psi)!;
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            // Printed once every listener is up, right before the SIGTERM handler is installed.
            if (line.Contains("wallet serve: listening on", StringComparison.Ordinal)) ready.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, fixPort));
            await socket.SendAsync(MiniFix.Frame("A", 1, "98=0|108=30|141=Y|553=partner1|554=partner-secret|"));
            var buffer = new StringBuilder();
            string logon = await MiniFix.ReadAsync(socket, buffer, TimeSpan.FromSeconds(30));
            Assert.Contains("|35=A|", logon, StringComparison.Ordinal);

            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) await kill.WaitForExitAsync();
            string logout = await MiniFix.ReadAsync(socket, buffer, TimeSpan.FromSeconds(30));
            Assert.Contains("|35=5|", logout, StringComparison.Ordinal);
            Assert.Contains("server shutting down", logout, StringComparison.Ordinal);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(cts.Token);
            Assert.True(process.ExitCode == 0, "exit code " + process.ExitCode + "\n" + output);
            Assert.True(File.Exists(Path.Combine(dir.Path, "fix", "WALLET-PARTNER1.seqnums")), "sequence numbers persisted in DataDirectory/fix");
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }
}
