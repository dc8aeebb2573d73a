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
using Wallet.Replication;
using Wallet.Replication.Cluster;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet serve</c>: one node, one partition, the SBE gateway in front. Configuration: appsettings.json (or
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
        var command = new Command("serve", "Run the engine — SBE gateway, HTTP/JSON API, read model, optional FIX acceptor — as a single node or as one replica of a cluster (Cluster section)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Options.Add(configFile);
        command.Options.Add(dataDir);
        command.Options.Add(port);
        command.SetAction((parse, _) => RunAsync(parse.GetValue(configFile), parse.GetValue(dataDir), parse.GetValue(port), parse.UnmatchedTokens));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo? configFile, string? dataDir, int? port, IReadOnlyList<string> overrides)
    {
        // Registered first: a SIGTERM during a slow start (recovery, read model) is a graceful stop once startup is
        // done, never the runtime's default kill (exit 143) in the middle of opening journals.
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        IConfiguration config;
        ServeSettings settings;
        try
        {
            config = BuildConfiguration(configFile, dataDir, port, overrides);
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
        using IDisposable? nodeScope = log.BeginScope("node {NodeId} partition {Partition}", settings.Cluster?.NodeId ?? 0, 0);

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
        PartitionEngine partition;
        try
        {
            partition = PartitionEngine.Start(settings.Partition, results);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JournalCorruptException or InvalidDataException or ArgumentException)
        {
            Console.Error.WriteLine($"wallet serve: cannot open the data directory {settings.DataDirectory}: {ex.Message}");
            return ExitCodes.StartupFailed;
        }

        ConsensusAgent? agent = null;
        IRequestRouter router = new SinglePartitionRouter(partition);
        try
        {
            if (settings.Cluster is not null)
            {
                agent = new ConsensusAgent(settings.Cluster, partition, settings.DataDirectory);
                agent.Start();
                router = new ReplicatedRouter(partition, agent);
            }
            gateway.Start(router);
        }
        catch (SocketException ex)
        {
            Console.Error.WriteLine($"wallet serve: cannot listen on {settings.Gateway.BindAddress}:{settings.Gateway.Port} (or the replication port): {ex.Message}");
            agent?.Dispose();
            partition.Stop(TimeSpan.FromMilliseconds(settings.ShutdownTimeoutMs), snapshot: partition.AppliedIndex > 0);
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
                agent?.Dispose();
                partition.Stop(TimeSpan.FromMilliseconds(settings.ShutdownTimeoutMs), snapshot: partition.AppliedIndex > 0);
                await gateway.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                return ExitCodes.StartupFailed;
            }
        }

        ReadModelHost readModel = ReadModelHost.Start(settings.Api, partition, log);
        gateway.View = readModel.Store;
        if (http is not null)
        {
            http.View = readModel.Store;
            http.Projector = readModel.Projector;
            http.PartitionState = () => partition.State;
            http.AppliedIndex = () => partition.AppliedIndex;
            http.RequestSnapshot = partition.RequestSnapshot;
            http.Counters = () => new Dictionary<string, long>(StringComparer.Ordinal)
            {
                ["partition.state"] = (long)partition.State,
                ["partition.journaled_index"] = partition.JournaledIndex,
                ["partition.applied_index"] = partition.AppliedIndex,
                ["partition.last_snapshot_index"] = partition.LastSnapshotIndex,
                ["partition.ingress_backlog"] = partition.IngressBacklog,
                ["partition.ingress_capacity"] = partition.IngressCapacity,
                ["journal.bytes"] = JournalBytes(settings.DataDirectory),
                ["sbe.sessions"] = gateway.SessionCount,
                ["sbe.orphaned_results"] = gateway.OrphanedResults,
                ["sbe.logons_in_progress"] = gateway.LogonsInProgress,
            };
            if (agent is not null) http.Counters = WithCluster(http.Counters!, agent);
            try
            {
                await http.StartAsync(router).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"wallet serve: cannot listen on {settings.Api.Http.BindAddress}:{settings.Api.Http.Port} (HTTP): {ex.Message}");
                await gateway.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                if (fix is not null) await fix.DisposeAsync().ConfigureAwait(false);
                agent?.Dispose();
                readModel.Dispose();
                partition.Stop(TimeSpan.FromMilliseconds(settings.ShutdownTimeoutMs), snapshot: partition.AppliedIndex > 0);
                return ExitCodes.StartupFailed;
            }
        }

        Console.Out.WriteLine($"wallet serve: listening on {gateway.LocalEndPoint}{(http is null ? string.Empty : $", HTTP on {http.LocalEndPoint}")}, data in {settings.DataDirectory} (recovered to index {partition.Recovery.LastIndex})");
        if (agent is not null)
        {
            Console.Out.WriteLine($"wallet serve: replica {agent.NodeId} of {settings.Cluster!.Members.Count}, replication on {agent.ReplicationEndPoint}");
        }
        Console.Out.Flush();

        // Also wake if the partition dies on its own (disk full, corrupt state): no point serving Busy forever.
        var roles = new RoleLog(agent);
        while (!stop.Task.IsCompleted && partition.State == PartitionState.Running && agent?.Failure is null)
        {
            await Task.WhenAny(stop.Task, Task.Delay(agent is null ? 500 : 50)).ConfigureAwait(false);
            roles.Report();
        }

        if (agent?.Failure is not null) log.LogError(agent.Failure, "Consensus agent failed");
        // The consensus agent goes first: nothing more is committed here, and clients move to the next leader.
        agent?.Dispose();
        return await ShutdownAsync(gateway, fix, http, readModel, partition, settings, log).ConfigureAwait(false);

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we shut down ourselves, gracefully
            stop.TrySetResult();
        }
    }

    /// <summary>
    /// Adds the replica's consensus state to the node counters (gauges on /metrics, `wallet stat`): role (0 follower,
    /// 1 pre-candidate, 2 candidate, 3 leader), term, leader id, commit and last index, and per member the entries it
    /// lags behind the leader's log (-1 on a follower: only the leader knows); snapshot catch-up and retention figures.
    /// </summary>
    private static Func<IReadOnlyDictionary<string, long>> WithCluster(Func<IReadOnlyDictionary<string, long>> counters, ConsensusAgent agent) => () =>
    {
        var c = new Dictionary<string, long>(counters(), StringComparer.Ordinal);
        c["cluster.node_id"] = agent.NodeId;
        c["cluster.role"] = (long)agent.Role;
        c["cluster.term"] = agent.Term;
        c["cluster.leader_id"] = agent.LeaderId;
        c["cluster.commit_index"] = agent.CommitIndex;
        c["cluster.last_index"] = agent.LastIndex;
        foreach (ClusterMember m in agent.Options.Members)
        {
            c[$"cluster.replica_lag.node_{m.Id}"] = agent.LagOf(m.Id);
        }
        c["cluster.log_first_index"] = agent.SnapshotGaugeValue(SnapshotGauge.LogFirstIndex);
        c["cluster.snapshot_transfers_started"] = agent.SnapshotGaugeValue(SnapshotGauge.TransfersStarted);
        c["cluster.snapshot_transfers_completed"] = agent.SnapshotGaugeValue(SnapshotGauge.TransfersCompleted);
        c["cluster.snapshot_transfer_restarts"] = agent.SnapshotGaugeValue(SnapshotGauge.TransferRestarts);
        c["cluster.snapshots_installed"] = agent.SnapshotGaugeValue(SnapshotGauge.Installed);
        c["cluster.snapshots_rejected"] = agent.SnapshotGaugeValue(SnapshotGauge.Rejected);
        c["cluster.snapshot_required"] = agent.SnapshotGaugeValue(SnapshotGauge.Required);
        return c;
    };

    /// <summary>Prints role and leader changes of a replica, as they are observed.</summary>
    private sealed class RoleLog(ConsensusAgent? agent)
    {
        private RaftRole _role = (RaftRole)(-1);
        private int _leader = int.MinValue;

        public void Report()
        {
            if (agent is null) return;
            RaftRole role = agent.Role;
            int leader = agent.LeaderId;
            if (role == _role && leader == _leader) return;
            _role = role;
            _leader = leader;
            Console.Out.WriteLine($"wallet serve: replica {agent.NodeId} is {role.ToString().ToLowerInvariant()} in term {agent.Term}, leader {(leader < 0 ? "unknown" : leader.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            Console.Out.Flush();
        }
    }

    private static async Task<int> ShutdownAsync(GatewayServer gateway, FixServer? fix, HttpGateway? http, ReadModelHost readModel, PartitionEngine partition, ServeSettings settings, ILogger log)
    {
        var timeout = TimeSpan.FromMilliseconds(settings.ShutdownTimeoutMs);
        Console.Out.WriteLine("wallet serve: stopping (intake closed, draining)");
        gateway.StopIntake();
        bool failedBefore = partition.State == PartitionState.Failed;
        // The projector reads the event journal, which the partition closes: stop it first (it resumes from its
        // checkpoint at the next start).
        readModel.StopProjector();
        // An untouched partition has nothing to snapshot (and would wait the whole timeout for one).
        bool clean = partition.Stop(timeout, snapshot: partition.AppliedIndex > 0);
        if (fix is not null) await fix.DisposeAsync().ConfigureAwait(false);
        if (http is not null) await http.DisposeAsync().ConfigureAwait(false);
        readModel.Dispose();
        await gateway.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (failedBefore || partition.State == PartitionState.Failed)
        {
            log.LogError(partition.Failure, "Partition failed");
            return ExitCodes.Failure;
        }
        Console.Out.WriteLine($"wallet serve: stopped at index {partition.AppliedIndex}, snapshot at {partition.LastSnapshotIndex}{(clean ? string.Empty : " (drain timed out)")}");
        return clean ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>Bytes of the command and event journal segments on disk (a directory listing; read at scrape time).</summary>
    private static long JournalBytes(string dataDirectory)
    {
        long total = 0;
        try
        {
            foreach (string f in Directory.EnumerateFiles(dataDirectory, "*.seg")) total += new FileInfo(f).Length;
        }
        catch (IOException)
        {
            // A segment deleted between listing and stat: the next scrape counts again.
        }
        return total;
    }

    internal static IConfigurationRoot BuildConfiguration(FileInfo? configFile, string? dataDir, int? port, IReadOnlyList<string> overrides)
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
