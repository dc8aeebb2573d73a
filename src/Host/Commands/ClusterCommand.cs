using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Wallet.Host.Cluster;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet cluster</c>: a local development cluster — R replicas (<c>--nodes</c>) of N partitions (<c>--partitions</c>),
/// each replica a <c>wallet serve</c> child process on 127.0.0.1 with its own data directory that hosts one replica of
/// every partition. Each partition elects its own leader; a request for a partition led elsewhere is redirected there.
/// Kill a node (kill -9 its pid) to watch a failover. Ctrl+C stops every node gracefully.
/// </summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Replicas: 1, 3 or 5", DefaultValueFactory = _ => 3 };
        var basePort = new Option<int>("--base-port") { Description = "Client (SBE gateway) port of node 1; node i uses base + i - 1", DefaultValueFactory = _ => 7401 };
        var replicationBasePort = new Option<int>("--replication-base-port") { Description = "Replication port of node 1 for partition 0; node i, partition p uses base + p × nodes + i - 1 (with several partitions the saga group uses p = partitions)", DefaultValueFactory = _ => 7501 };
        var partitions = new Option<int>("--partitions") { Description = $"Partitions, each replicated on every node: 1..{Configuration.ServeSettings.MaxPartitions}", DefaultValueFactory = _ => 1 };
        var httpBasePort = new Option<int>("--http-base-port") { Description = "HTTP API port of node 1; node i uses base + i - 1 (0 = a free port each)", DefaultValueFactory = _ => 7481 };
        var fixBasePort = new Option<int>("--fix-base-port") { Description = "FIX acceptor port of node 1 when Fix:Enabled=true; node i uses base + i - 1", DefaultValueFactory = _ => 7411 };
        var dataDir = new Option<string>("--data-dir") { Description = "Root of the nodes' data directories (node-1, node-2, …)", DefaultValueFactory = _ => "./data/cluster" };
        var config = new Option<FileInfo?>("--config") { Description = "Settings file passed to every node" };
        var command = new Command("cluster", "Run a local development cluster: R replicas of N partitions on 127.0.0.1")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Options.Add(nodes);
        command.Options.Add(basePort);
        command.Options.Add(replicationBasePort);
        command.Options.Add(partitions);
        command.Options.Add(httpBasePort);
        command.Options.Add(fixBasePort);
        command.Options.Add(dataDir);
        command.Options.Add(config);
        command.SetAction((parse, _) => RunAsync(parse.GetValue(nodes), parse.GetValue(partitions), parse.GetValue(basePort), parse.GetValue(replicationBasePort),
            parse.GetValue(httpBasePort), parse.GetValue(fixBasePort), parse.GetValue(dataDir)!, parse.GetValue(config), parse.UnmatchedTokens));
        return command;
    }

    /// <summary>The Cluster:Members value for N local nodes.</summary>
    internal static string Members(int nodes, int basePort, int replicationBasePort, int httpBasePort = 0)
    {
        var text = new StringBuilder();
        for (int id = 1; id <= nodes; id++)
        {
            if (id > 1) text.Append(',');
            text.Append(CultureInfo.InvariantCulture, $"{id}=127.0.0.1:{basePort + id - 1}:{replicationBasePort + id - 1}");
            // Published so that a follower's HTTP "not the leader" answer names the leader's API (0 = ephemeral: unknown).
            if (httpBasePort != 0) text.Append(CultureInfo.InvariantCulture, $":{httpBasePort + id - 1}");
        }
        return text.ToString();
    }

    private static async Task<int> RunAsync(int nodes, int partitions, int basePort, int replicationBasePort, int httpBasePort, int fixBasePort, string dataDir, FileInfo? config,
        IReadOnlyList<string> overrides)
    {
        if (nodes is not (1 or 3 or 5))
        {
            Console.Error.WriteLine("wallet cluster: --nodes must be 1, 3 or 5");
            return ExitCodes.InvalidConfiguration;
        }
        if (partitions is < 1 or > Configuration.ServeSettings.MaxPartitions)
        {
            Console.Error.WriteLine($"wallet cluster: --partitions must be 1..{Configuration.ServeSettings.MaxPartitions}");
            return ExitCodes.InvalidConfiguration;
        }
        // Replication ports: one contiguous block, partition-major (node i of partition p at base + p × nodes + i - 1);
        // with several partitions the saga sequencer's group takes one more slot (p = partitions).
        int replicationPorts = nodes * (partitions > 1 ? partitions + 1 : 1);
        if (basePort is < 1 or > 65535 - 5 || replicationBasePort < 1 || replicationBasePort > 65536 - replicationPorts
            || (basePort < replicationBasePort + replicationPorts && replicationBasePort < basePort + nodes))
        {
            Console.Error.WriteLine($"wallet cluster: --base-port must be 1..65530, --replication-base-port 1..{65536 - replicationPorts}, and the client ports [base, base + nodes) must not overlap the replication ports [replication base, + {replicationPorts}) (nodes × partitions, + nodes for the saga group when partitions > 1)");
            return ExitCodes.InvalidConfiguration;
        }
        if (httpBasePort is < 0 or > 65535 - 5 || fixBasePort is < 1 or > 65535 - 5)
        {
            Console.Error.WriteLine("wallet cluster: --http-base-port must be 0..65530 and --fix-base-port 1..65530");
            return ExitCodes.InvalidConfiguration;
        }
        string members = Members(nodes, basePort, replicationBasePort, httpBasePort);
        string root = Path.GetFullPath(dataDir);
        Console.Out.WriteLine($"wallet cluster: {nodes} replicas of {partitions} partition(s), members {members}, data under {root}");
        var children = new List<ChildProcess>();
        try
        {
            for (int id = 1; id <= nodes; id++)
            {
                int httpPort = httpBasePort == 0 ? 0 : httpBasePort + id - 1;
                // Each node its own FIX port (used only with Fix:Enabled=true): a partner may log on to any node.
                int fixPort = fixBasePort + id - 1;
                var args = new List<string>
                {
                    "serve", "--data-dir", Path.Combine(root, $"node-{id}"), $"--Cluster:NodeId={id}", $"--Cluster:Members={members}", $"--Http:Port={httpPort}",
                    $"--Fix:Port={fixPort}",
                };
                if (partitions > 1)
                {
                    args.AddRange(["--partitions", partitions.ToString(CultureInfo.InvariantCulture),
                        $"--Cluster:PartitionPortStride={nodes.ToString(CultureInfo.InvariantCulture)}"]);
                }
                if (config is not null) args.AddRange(["--config", config.FullName]);
                args.AddRange(overrides);
                children.Add(ChildProcess.Start(args, $"[node {id}] "));
            }
            Console.Out.WriteLine($"wallet cluster: pids {string.Join(' ', children.Select(c => c.Id))}; Ctrl+C stops all");

            Task stop = StopSignal.Arm();
            // Keep running while any node lives: a killed node is a failover drill, not the end of the cluster.
            while (!stop.IsCompleted && children.Exists(c => !c.HasExited))
            {
                await Task.WhenAny(stop, Task.Delay(500)).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (ChildProcess c in children) c.Terminate();
            foreach (ChildProcess c in children)
            {
                if (!c.WaitForExit(TimeSpan.FromSeconds(30))) c.Kill();
                c.Dispose();
            }
        }
        Console.Out.WriteLine("wallet cluster: stopped");
        return ExitCodes.Ok;
    }
}
