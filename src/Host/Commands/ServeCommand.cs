using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Wallet.Engine.Journal;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Fix;
using Wallet.Gateway.Http;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Host.Cluster;
using Wallet.Host.Configuration;
using Wallet.Host.Partitions;
using Wallet.Replication;
using Wallet.Replication.Cluster;
using Wallet.Saga;
using Wallet.Saga.Replicated;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet serve</c>: one node hosting one or more partitions (<c>--partitions N</c>), the SBE gateway in front. Configuration: appsettings.json (or
/// --config), then WALLET_* environment variables, then command-line overrides (--Gateway:Port=7401).
/// Ctrl+C / SIGTERM: stop intake, drain, snapshot, close.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var configFile = new Option<FileInfo?>("--config") { Description = "Settings file (default: appsettings.json next to the executable, then in the working directory)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (journals, snapshots); default ./data" };
        var port = new Option<int?>("--port") { Description = "Gateway TCP port; default 7400" };
        var partitions = new Option<int?>("--partitions") { Description = $"Partitions this node hosts (Serve:Partitions), 1..{ServeSettings.MaxPartitions}; default 1. Fixed when the data directory is created" };
        var command = new Command("serve", "Run the engine — SBE gateway, HTTP/JSON API, read model, optional FIX acceptor — as a single node or as one replica of a cluster (Cluster section)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Options.Add(configFile);
        command.Options.Add(dataDir);
        command.Options.Add(port);
        command.Options.Add(partitions);
        command.SetAction((parse, _) => RunAsync(parse.GetValue(configFile), parse.GetValue(dataDir), parse.GetValue(port), parse.GetValue(partitions), parse.UnmatchedTokens));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo? configFile, string? dataDir, int? port, int? partitions, IReadOnlyList<string> overrides)
    {
        // Registered first: a SIGTERM during a slow start (recovery, read model) is a graceful stop once startup is
        // done, never the runtime's default kill (exit 143) in the middle of opening journals.
        Task stop = StopSignal.Arm();

        IConfiguration config;
        ServeSettings settings;
        try
        {
            config = BuildConfiguration(configFile, dataDir, port, overrides, partitions);
            settings = ServeSettings.Load(config);
        }
        catch (Exception ex) when (ex is SettingsException or FormatException or InvalidDataException or FileNotFoundException or IOException)
        {
            Console.Error.WriteLine($"wallet serve: invalid configuration: {ex.Message}");
            return ExitCodes.InvalidConfiguration;
        }

        using ILoggerFactory loggers = LoggerFactory.Create(b => b
            .AddConfiguration(config.GetSection("Logging"))
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
                o.IncludeScopes = true;
            }));
        ILogger log = loggers.CreateLogger("wallet.serve");
        // Every line this node logs (its threads inherit the scope) says which node and partition it is about.
        // With several partitions the scope names them all ("0..N-1"); per-partition lines name their partition themselves.
        using IDisposable? nodeScope = log.BeginScope("node {NodeId} partition {Partition}", settings.Cluster?.NodeId ?? 0,
            settings.Partitions.Count == 1 ? "0" : $"0..{settings.Partitions.Count - 1}");

        UserDirectory users;
        try
        {
            users = new UserDirectory(settings.Users);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"wallet serve: invalid configuration: {ex.Message}");
            return ExitCodes.InvalidConfiguration;
        }

        var gateway = new GatewayServer(settings.Gateway, users, loggers.CreateLogger("wallet.gateway"));
        HttpGateway? http = settings.Api.HttpEnabled ? new HttpGateway(settings.Api.Http, users, settings.Partition.Ledger.Catalog, loggers) : null;
        IPartitionResultHandler results = http is null ? gateway.ResultHandler : new ResultFanout(gateway.ResultHandler, http.Commands);
        NodePartitions node;
        try
        {
            node = NodePartitions.Start(settings, results);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JournalCorruptException or InvalidDataException or ArgumentException)
        {
            Console.Error.WriteLine($"wallet serve: cannot open the data directory {settings.DataDirectory}: {ex.Message}");
            return ExitCodes.StartupFailed;
        }
        TimeSpan shutdownTimeout = TimeSpan.FromMilliseconds(settings.ShutdownTimeoutMs);

        ICrossPartitionTransfers? crossPartition;
        try
        {
            crossPartition = node.StartSagas(loggers.CreateLogger("wallet.saga"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JournalCorruptException or InvalidDataException or InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"wallet serve: cannot start the saga sequencer ({settings.Saga.DataDirectory}): {ex.Message}");
            node.StopPartitions(shutdownTimeout);
            return ExitCodes.StartupFailed;
        }
        if (crossPartition is not null && node.Sagas is { } sagas)
        {
            Console.Out.WriteLine($"wallet serve: cross-partition transfers by the saga sequencer, mode {settings.Saga.Mode}, journal in {settings.Saga.DataDirectory}");
            SagaRecovery r = sagas.Recovery;
            Console.Out.WriteLine(r.SnapshotIndex > 0
                ? $"wallet serve: saga sequencer recovered from its snapshot at index {r.SnapshotIndex} + {r.CommandsReplayed} journal commands ({sagas.Machine.ActiveCount} open sagas resumed)"
                : $"wallet serve: saga sequencer recovered from its journal: {r.CommandsReplayed} commands replayed ({sagas.Machine.ActiveCount} open sagas resumed)");
            if (r.SnapshotsRejected > 0) Console.Out.WriteLine($"wallet serve: saga sequencer skipped {r.SnapshotsRejected} unusable snapshot file(s)");
        }
        else if (crossPartition is not null && node.SagaReplica is { } replica)
        {
            Console.Out.WriteLine($"wallet serve: cross-partition transfers by the replicated saga sequencer, mode {settings.Saga.Mode}, journal in {settings.Saga.DataDirectory}, " +
                $"group replication on {replica.ReplicationEndPoint} (this node's table from {(replica.Recovery.SnapshotIndex > 0 ? $"its snapshot at index {replica.Recovery.SnapshotIndex}" : "the start of its log")})");
        }
        else if (node.Count > 1)
            Console.Out.WriteLine("wallet serve: cross-partition transfers are refused (Saga:Enabled is false)");

        IRequestRouter router;
        try
        {
            node.StartConsensus();
            router = node.CreateRouter(crossPartition);
            gateway.Start(router);
        }
        catch (SocketException ex)
        {
            Console.Error.WriteLine($"wallet serve: cannot listen on {settings.Gateway.BindAddress}:{settings.Gateway.Port} (or a replication port): {ex.Message}");
            node.StopConsensus();
            node.StopSagas(shutdownTimeout);
            node.StopPartitions(shutdownTimeout);
            return ExitCodes.StartupFailed;
        }

        FixServer? fix = null;
        if (settings.Fix is not null)
        {
            try
            {
                fix = new FixServer(settings.Fix, gateway, settings.Partition.Ledger.Catalog);
                fix.Start();
                Console.Out.WriteLine($"wallet serve: FIX acceptor on {fix.LocalEndPoint}");
            }
            catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"wallet serve: cannot start the FIX acceptor: {ex.Message}");
                gateway.StopIntake();
                node.StopConsensus();
                node.StopSagas(shutdownTimeout);
                node.StopPartitions(shutdownTimeout);
                await gateway.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                return ExitCodes.StartupFailed;
            }
        }

        node.StartReadModels(log);
        bool several = node.Count > 1;
        if (several) gateway.Views = node.Views();
        else gateway.View = node.ReadModels[0].Store;
        if (http is not null)
        {
            if (several)
            {
                http.Views = node.Views();
                http.Projectors = node.Projectors();
            }
            else
            {
                http.View = node.ReadModels[0].Store;
                http.Projector = node.ReadModels[0].Projector;
            }
            http.PartitionState = () => node.WorstState;
            http.AppliedIndex = () => node.AppliedIndexTotal;
            http.RequestSnapshot = node.RequestSnapshots;
            http.Counters = NodeCounters.For(node, gateway);
            try
            {
                await http.StartAsync(router).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"wallet serve: cannot listen on {settings.Api.Http.BindAddress}:{settings.Api.Http.Port} (HTTP): {ex.Message}");
                await gateway.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                if (fix is not null) await fix.DisposeAsync().ConfigureAwait(false);
                node.StopConsensus();
                node.StopSagas(shutdownTimeout);
                node.StopProjectors();
                node.StopPartitions(shutdownTimeout);
                node.DisposeReadModels();
                return ExitCodes.StartupFailed;
            }
        }

        Console.Out.WriteLine($"wallet serve: listening on {gateway.LocalEndPoint}{(http is null ? string.Empty : $", HTTP on {http.LocalEndPoint}")}, data in {settings.DataDirectory} ({Recovered(node)})");
        if (node.Agents.Count > 0)
        {
            ConsensusAgent first = node.Agents[0];
            string ports = several ? string.Join(", ", node.Agents.Select((a, p) => $"p{p} {a.ReplicationEndPoint}")) : first.ReplicationEndPoint.ToString();
            Console.Out.WriteLine($"wallet serve: replica {first.NodeId} of {settings.Cluster!.Members.Count}, replication on {ports}");
            if (settings.Cluster.RejoinAfterDataLoss)
            {
                Console.Out.WriteLine($"wallet serve: replica {first.NodeId} rejoins after data loss: silent for the first " +
                    $"{settings.Cluster.EffectiveRejoinQuietMs} ms (Cluster:RejoinQuietMs), then catching up without voting");
            }
        }
        Console.Out.Flush();

        // Also wake if a partition dies on its own (disk full, corrupt state): no point serving Busy forever.
        var roles = new RoleLog[node.Agents.Count + (node.SagaReplica is null ? 0 : 1)];
        for (int p = 0; p < node.Agents.Count; p++) roles[p] = new RoleLog(node.Agents[p], several ? p : -1);
        if (node.SagaReplica is { } sagaReplica) roles[^1] = RoleLog.Of(sagaReplica);
        while (!stop.IsCompleted && node.Healthy)
        {
            await Task.WhenAny(stop, Task.Delay(roles.Length == 0 ? 500 : 50)).ConfigureAwait(false);
            foreach (RoleLog r in roles) r.Report();
        }

        if (node.AgentFailure is { } failure) log.LogError(failure, "Consensus agent failed");
        // The consensus agents go first: nothing more is committed here, and clients move to the next leaders.
        node.StopConsensus();
        return await ShutdownAsync(gateway, fix, http, node, shutdownTimeout, log).ConfigureAwait(false);
    }

    /// <summary>
    /// "recovered to index N (snapshot at S + K commands replayed)" — per partition when there are several (each has its
    /// own log): what a restart cost, since it reads the snapshot and the journal after it, not the whole journal.
    /// </summary>
    private static string Recovered(NodePartitions node)
    {
        if (node.Count == 1)
        {
            Wallet.Engine.Partition.RecoveryReport r = node.Engines[0].Recovery;
            string from = r.Snapshot is { } snapshot ? $"snapshot at {snapshot.Header.Index}" : "genesis";
            return $"recovered to index {r.LastIndex} ({from} + {r.ReplayedCommands} commands replayed)";
        }
        var text = new System.Text.StringBuilder($"{node.Count} partitions, recovered to index");
        for (int p = 0; p < node.Count; p++) text.Append(System.Globalization.CultureInfo.InvariantCulture, $" p{p}={node.Engines[p].Recovery.LastIndex}");
        return text.ToString();
    }

    /// <summary>Prints role and leader changes of one partition's replica, as they are observed, and its rejoin after data loss.</summary>
    private sealed class RoleLog(int nodeId, string which, Func<RaftRole> role, Func<int> leaderId, Func<long> term, Func<bool> rejoining)
    {
        private RaftRole _role = (RaftRole)(-1);
        private int _leader = int.MinValue;
        private bool _rejoining;

        public RoleLog(ConsensusAgent agent, int partition)
            : this(agent.NodeId, partition < 0 ? string.Empty : $"partition {partition}: ", () => agent.Role, () => agent.LeaderId, () => agent.Term, () => agent.Rejoining)
        {
        }

        public static RoleLog Of(SagaReplica replica) =>
            new(replica.NodeId, "saga group: ", () => replica.Role, () => replica.LeaderId, () => replica.Term, () => replica.Rejoining);

        public void Report()
        {
            ReportRejoin();
            RaftRole now = role();
            int leader = leaderId();
            if (now == _role && leader == _leader) return;
            _role = now;
            _leader = leader;
            Console.Out.WriteLine($"wallet serve: {which}replica {nodeId} is {now.ToString().ToLowerInvariant()} in term {term()}, leader {(leader < 0 ? "unknown" : leader.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            Console.Out.Flush();
        }

        /// <summary>One line when the replica is seen rejoining after data loss, one when it is caught up.</summary>
        private void ReportRejoin()
        {
            bool now = rejoining();
            if (now == _rejoining) return;
            _rejoining = now;
            Console.Out.WriteLine(now
                ? $"wallet serve: {which}replica {nodeId} is rejoining after data loss: not voting until caught up with a leader (Cluster:RejoinAfterDataLoss)"
                : $"wallet serve: {which}replica {nodeId} caught up after data loss in term {term()}: voting again; remove Cluster:RejoinAfterDataLoss");
            Console.Out.Flush();
        }
    }

    private static async Task<int> ShutdownAsync(GatewayServer gateway, FixServer? fix, HttpGateway? http, NodePartitions node, TimeSpan timeout, ILogger log)
    {
        Console.Out.WriteLine("wallet serve: stopping (intake closed, draining)");
        gateway.StopIntake();
        // The saga coordinator next: open sagas stay in its journal and resume at the next start.
        node.StopSagas(timeout);
        bool failedBefore = node.FirstFailed() is not null;
        // The projectors read the event journals, which the partitions close: stop them first (they resume from their
        // checkpoints at the next start).
        node.StopProjectors();
        bool clean = node.StopPartitions(timeout);
        if (fix is not null) await fix.DisposeAsync().ConfigureAwait(false);
        if (http is not null) await http.DisposeAsync().ConfigureAwait(false);
        node.DisposeReadModels();
        await gateway.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (failedBefore || node.FirstFailed() is not null)
        {
            log.LogError(node.FirstFailed()?.Failure, "Partition failed");
            return ExitCodes.Failure;
        }
        string at = node.Count == 1
            ? $"index {node.Engines[0].AppliedIndex}, snapshot at {node.Engines[0].LastSnapshotIndex}"
            : string.Join(", ", node.Engines.Select((e, p) => $"p{p} index {e.AppliedIndex} snapshot {e.LastSnapshotIndex}"));
        Console.Out.WriteLine($"wallet serve: stopped at {at}{(clean ? string.Empty : " (drain timed out)")}");
        Console.Out.WriteLine(RuntimeSummary());
        return clean ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>
    /// One line on the way out: how much the process allocated and how often (and how long) the GC paused it — the
    /// first suspect of a latency tail, next to the ledger's own counters (the same figures are live on /metrics).
    /// </summary>
    internal static string RuntimeSummary()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        double uptimeS = (DateTime.UtcNow - System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime()).TotalSeconds;
        return string.Create(ci,
            $"wallet serve: runtime: {GC.CollectionCount(0)} gen0 / {GC.CollectionCount(1)} gen1 / {GC.CollectionCount(2)} gen2 collections, " +
            $"GC pauses {GC.GetTotalPauseDuration().TotalMilliseconds:F1} ms in total, {GC.GetTotalAllocatedBytes() / (1024.0 * 1024.0):F1} MiB allocated, up {uptimeS:F1} s");
    }

    internal static IConfigurationRoot BuildConfiguration(FileInfo? configFile, string? dataDir, int? port, IReadOnlyList<string> overrides, int? partitions = null)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!configFile.Exists) throw new FileNotFoundException($"--config: {configFile.FullName} does not exist.");
            builder.AddJsonFile(configFile.FullName, optional: false);
        }
        else
        {
            string beside = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
            string here = Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json");
            builder.AddJsonFile(beside, optional: true);
            if (!string.Equals(Path.GetFullPath(beside), Path.GetFullPath(here), StringComparison.Ordinal)) builder.AddJsonFile(here, optional: true);
        }
        builder.AddEnvironmentVariables("WALLET_");
        var explicitValues = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (dataDir is not null) explicitValues["DataDirectory"] = dataDir;
        if (port is not null) explicitValues["Gateway:Port"] = port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (partitions is not null) explicitValues["Serve:Partitions"] = partitions.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string token in overrides)
        {
            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains('=', StringComparison.Ordinal))
                throw new SettingsException($"unexpected argument '{token}': overrides look like --Section:Key=value");
        }
        builder.AddCommandLine([.. overrides]);
        builder.AddInMemoryCollection(explicitValues);
        return builder.Build();
    }
}
