using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Wallet.Cluster.Tests;

/// <summary>
/// `wallet serve --Cluster:RejoinAfterDataLoss=true` on an empty data directory: the replica says it is rejoining, reports
/// <c>cluster.rejoining</c> = 1 and never campaigns while alone; once the two other replicas elect a leader it catches up,
/// says so, and reports 0.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class RejoinProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "rejoin-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<ServeNode> _nodes = [];

    private static readonly string[] s_args =
    [
        "--Ledger:MaxAccounts=4096", "--Ledger:MaxPendingTransfers=1024", "--Ledger:TransferRetentionCount=65536",
        "--Partition:SnapshotIntervalCommands=0", "--Http:Port=0",
    ];

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private ServeNode Start(int id, string members, params string[] extra)
    {
        var node = new ServeNode(id, Path.Combine(_root, $"node-{id}"), members, [.. s_args, .. extra]);
        _nodes.Add(node);
        return node;
    }

    private async Task WaitAsync(Func<Task<bool>> condition, int timeoutMs, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(sw.ElapsedMilliseconds < timeoutMs, $"{what} not within {timeoutMs} ms:\n{string.Join("\n---\n", _nodes.Select(n => n.Output))}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_rejoining_replica_says_so_stays_out_of_elections_and_reports_when_caught_up()
    {
        var ports = new int[7];
        for (int i = 1; i < ports.Length; i++) ports[i] = FreePort();
        string members = $"1=127.0.0.1:{ports[1]}:{ports[2]},2=127.0.0.1:{ports[3]}:{ports[4]},3=127.0.0.1:{ports[5]}:{ports[6]}";

        ServeNode rejoining = Start(1, members, "--Cluster:RejoinAfterDataLoss=true");
        await WaitAsync(() => Task.FromResult(rejoining.Output.Contains("replica 1 is rejoining after data loss", StringComparison.Ordinal)), 60_000, "the rejoining line");
        Assert.Contains("replica 1 rejoins after data loss: silent for the first ", rejoining.Output, StringComparison.Ordinal);
        await WaitAsync(async () => await rejoining.StatAsync("cluster.rejoining") == 1, 30_000, "cluster.rejoining = 1");
        await Task.Delay(2_000); // several election timeouts alone: a normal replica would pre-vote (and print precandidate)
        Assert.DoesNotContain("replica 1 is precandidate", rejoining.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("replica 1 is candidate", rejoining.Output, StringComparison.Ordinal);

        Start(2, members);
        Start(3, members);
        await WaitAsync(() => Task.FromResult(rejoining.Output.Contains("replica 1 caught up after data loss in term", StringComparison.Ordinal)), 60_000, "the caught-up line");
        Assert.Equal(0, await rejoining.StatAsync("cluster.rejoining"));
        Assert.False(rejoining.HasExited);
        output.WriteLine(rejoining.Output);
    }

    public void Dispose()
    {
        foreach (ServeNode n in _nodes) n.Dispose();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
