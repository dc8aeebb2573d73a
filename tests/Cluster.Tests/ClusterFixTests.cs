using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Cluster.Tests;

/// <summary>
/// FIX on a replicated cluster (`wallet cluster --nodes 3 --Fix:Enabled=true`): each node runs its own FIX acceptor
/// (`--fix-base-port`), and a partner logged on to a follower is served — FIX has no redirect, so the follower forwards
/// its TransferRequest and BalanceRequest to the leader (docs/gateway.md, "Forwarding between nodes") and reports the
/// leader's answers.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed partial class ClusterFixTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "cluster-fix-" + Guid.NewGuid().ToString("N")[..12]);

    [GeneratedRegex(@"\[node (\d+)\] wallet serve: replica \d+ is leader in term")]
    private static partial Regex LeaderLine();

    [Fact(Timeout = 240_000)]
    public async Task A_partner_on_a_follower_is_served_by_forwarding_to_the_leader()
    {
        int clientBase = ClusterVerbTests.FreeRange(3), replicationBase = ClusterVerbTests.FreeRange(3), httpBase = ClusterVerbTests.FreeRange(3), fixBase = ClusterVerbTests.FreeRange(3);
        string hash = PasswordHasher.Hash("partner-secret", PasswordHasher.MinIterations);
        int leader = 0;
        var led = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using ClusterProcess cluster = ClusterProcess.Start(["--data-dir", _root, "--nodes", "3",
            "--base-port", clientBase.ToString(CultureInfo.InvariantCulture), "--replication-base-port", replicationBase.ToString(CultureInfo.InvariantCulture),
            "--http-base-port", httpBase.ToString(CultureInfo.InvariantCulture), "--fix-base-port", fixBase.ToString(CultureInfo.InvariantCulture),
            "--Fix:Enabled=true", $"--Fix:Partners:0:PasswordHash={hash}", "--Gateway:LogonTimeoutMs=60000", "--Partition:Fsync=none"], line =>
        {
            Match m = LeaderLine().Match(line);
            if (!m.Success) return;
            Volatile.Write(ref leader, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            led.TrySetResult();
        });
        try
        {
            await led.Task.WaitAsync(TimeSpan.FromSeconds(120));
            var seeds = new[] { new WalletEndpoint("127.0.0.1", clientBase), new WalletEndpoint("127.0.0.1", clientBase + 1), new WalletEndpoint("127.0.0.1", clientBase + 2) };
            await using (WalletClient admin = await WalletClient.ConnectAsync(new WalletClientOptions
            {
                Port = clientBase, SeedEndpoints = seeds, ClientId = "admin", Credential = "admin-dev-password",
                ConnectTimeoutMs = 60_000, RequestTimeoutMs = 30_000, BusyRetryLimit = 1000, ReconnectAttempts = 50,
            }))
            {
                Assert.All(await admin.CreateAccountsAsync(new[] { new Account { Id = 1000, Ledger = 1, Code = 1 }, new Account { Id = 1001, Ledger = 1, Code = 1 } }),
                    r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, r.Code.ToString()));
            }
            int follower = Volatile.Read(ref leader) % 3 + 1;

            // The partner (debits 1000–1999) on a follower's FIX acceptor: logon, a transfer, a balance — all answered.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, fixBase + follower - 1));
            var buffer = new StringBuilder();
            TimeSpan wait = TimeSpan.FromSeconds(60);
            await socket.SendAsync(MiniFix.Frame("A", 1, "98=0|108=30|141=Y|553=partner1|554=partner-secret|"));
            Assert.Contains("|35=A|", await MiniFix.ReadTypeAsync(socket, buffer, "A", wait), StringComparison.Ordinal);
            await socket.SendAsync(MiniFix.Frame("UT", 2, "5001=77|5002=1000|5003=1001|5004=12.34|15=USD|"));
            string report = await MiniFix.ReadTypeAsync(socket, buffer, "UR", wait);
            Assert.True(MiniFix.Field(report, 5010) == "0", report);
            // The leader's receipt relayed by the follower: the transfer's place in the leader's log, not 0.
            Assert.True(long.Parse(MiniFix.Field(report, 5011) ?? "0", CultureInfo.InvariantCulture) > 0, report);
            Assert.Equal("77", MiniFix.Field(report, 5001));
            await socket.SendAsync(MiniFix.Frame("UQ", 3, "5030=q-1|5020=1001|"));
            string balance = await MiniFix.ReadTypeAsync(socket, buffer, "UP", wait);
            Assert.True(MiniFix.Field(balance, 5035) == "12.34", balance);
            // A repeat of the same TransferID applies once: Exists (12).
            await socket.SendAsync(MiniFix.Frame("UT", 4, "5001=77|5002=1000|5003=1001|5004=12.34|15=USD|"));
            Assert.Equal(((int)ResultCode.Exists).ToString(CultureInfo.InvariantCulture), MiniFix.Field(await MiniFix.ReadTypeAsync(socket, buffer, "UR", wait), 5010));
        }
        finally
        {
            await cluster.StopAsync();
        }
        Assert.True(cluster.ExitCode == 0, cluster.Output);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
