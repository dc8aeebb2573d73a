using Microsoft.Extensions.Logging;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Routing;
using Wallet.Host.Cluster;
using Wallet.Host.Commands;
using Wallet.Host.Configuration;
using Wallet.Host.Sagas;
using Wallet.Replication.Cluster;
using Wallet.Saga;
using Wallet.Saga.Replicated;

namespace Wallet.Host.Partitions;

/// <summary>
/// The partitions one <c>wallet serve</c> process hosts (<c>Serve:Partitions</c>): a <see cref="PartitionEngine"/> per
/// partition in its own directory (<see cref="PartitionLayout"/>), with a replica's <see cref="ConsensusAgent"/> per
/// partition when the node is part of a cluster, and a read model per partition. Started, watched and stopped together:
/// one failed partition stops the node (serving the others while one answers NotRunning forever helps nobody).
/// </summary>
internal sealed class NodePartitions
{
    private readonly ServeSettings _settings;
    private readonly PartitionEngine[] _engines;
    private ConsensusAgent[] _agents = [];
    private ReadModelHost[] _readModels = [];
    /// <summary>Per partition, when the saga sequencer runs here: its results go to the coordinator, the rest on.</summary>
    private readonly SagaResultRouter[]? _sagaRouters;
    private SagaCoordinator? _sagas;
    /// <summary>Cluster with several partitions: the steps' paths, and this node's replica of the saga group.</summary>
    private readonly ClusterStepTransport? _stepTransport;
    private PeerForwarder? _forwarder;
    private SagaReplica? _sagaReplica;

    private NodePartitions(ServeSettings settings, PartitionMap map, PartitionEngine[] engines, SagaResultRouter[]? sagaRouters, ClusterStepTransport? stepTransport)
    {
        _settings = settings;
        Map = map;
        _engines = engines;
        _sagaRouters = sagaRouters;
        _stepTransport = stepTransport;
    }

    /// <summary>
    /// True when this node runs the saga sequencer: several partitions with "Saga:Enabled". On a single node it is a
    /// local coordinator with its own journal; on a cluster each node runs a replica of the sequencer's own replicated
    /// group (<see cref="SagaReplica"/>) and the leader sends steps to the partitions' leaders (docs/SAGA.md).
    /// </summary>
    public static bool RunsSagas(ServeSettings settings) =>
        settings.Partitions.Count > 1 && settings.Saga.Enabled;

    /// <summary>The running saga coordinator (single node), or null.</summary>
    public SagaCoordinator? Sagas => _sagas;

    /// <summary>This node's replica of the saga group (cluster), or null.</summary>
    public SagaReplica? SagaReplica => _sagaReplica;

    /// <summary>Step sends to partitions led elsewhere that failed (connection, timeout); their steps were resent.</summary>
    public long RemoteStepFailures => _stepTransport?.RemoteFailures ?? 0;

    /// <summary>Requests this node's gateway forwarded to other nodes, and those that failed (docs/gateway.md).</summary>
    public long ForwardedRequests => _forwarder?.Forwarded ?? 0;
    public long ForwardFailures => _forwarder?.Failures ?? 0;

    public PartitionMap Map { get; }
    public int Count => _engines.Length;
    public IReadOnlyList<PartitionEngine> Engines => _engines;
    /// <summary>One per partition under consensus; empty on a single node.</summary>
    public IReadOnlyList<ConsensusAgent> Agents => _agents;
    public IReadOnlyList<ReadModelHost> ReadModels => _readModels;

    /// <summary>Where partition <paramref name="partition"/> keeps its journals and snapshots.</summary>
    public string DirectoryOf(int partition) => _settings.Partitions[partition].DataDirectory;

    /// <summary>
    /// Opens every partition (recovery included). The data directory must fit the configured partition count
    /// (<see cref="PartitionMapFile"/>). On a failure the partitions already open are stopped and the error rethrown.
    /// </summary>
    public static NodePartitions Start(ServeSettings settings, IPartitionResultHandler results)
    {
        ArgumentNullException.ThrowIfNull(settings);
        PartitionMap map = PartitionMapFile.OpenOrCreate(settings.DataDirectory, settings.Partitions.Count);
        var engines = new PartitionEngine[settings.Partitions.Count];
        SagaResultRouter[]? sagaRouters = null;
        ClusterStepTransport? steps = null;
        if (RunsSagas(settings) && settings.Cluster is not null)
        {
            steps = new ClusterStepTransport(engines.Length, p => new RemoteStepLink(p, PeerClientOptions(settings)));
        }
        else if (RunsSagas(settings))
        {
            sagaRouters = new SagaResultRouter[engines.Length];
            for (int p = 0; p < sagaRouters.Length; p++) sagaRouters[p] = new SagaResultRouter(p, results);
        }
        int started = 0;
        try
        {
            for (; started < engines.Length; started++)
            {
                IPartitionResultHandler handler = sagaRouters is not null ? sagaRouters[started]
                    : steps is not null ? steps.RouterFor(started, results) : results;
                engines[started] = PartitionEngine.Start(settings.Partitions[started], handler);
                steps?.Bind(started, engines[started]);
            }
        }
        catch
        {
            for (int i = 0; i < started; i++) engines[i].Stop(TimeSpan.FromMilliseconds(settings.ShutdownTimeoutMs), snapshot: false);
            throw;
        }
        return new NodePartitions(settings, map, engines, sagaRouters, steps);
    }

    /// <summary>How the saga leader logs on to other nodes' gateways (System role) to reach partitions they lead.</summary>
    private static Wallet.Client.WalletClientOptions PeerClientOptions(ServeSettings settings)
    {
        var seeds = new List<Wallet.Client.WalletEndpoint>();
        foreach (ClusterMember m in settings.Cluster!.Members)
        {
            if (m.ClientPort > 0) seeds.Add(new Wallet.Client.WalletEndpoint(m.Host, m.ClientPort));
        }
        // A one-member cluster may leave its own client port to the Gateway section.
        if (seeds.Count == 0) seeds.Add(new Wallet.Client.WalletEndpoint("127.0.0.1", settings.Gateway.Port));
        return new Wallet.Client.WalletClientOptions
        {
            Host = seeds[0].Host,
            Port = seeds[0].Port,
            SeedEndpoints = seeds,
            ClientId = settings.Saga.PeerUser,
            Credential = settings.Saga.PeerPassword,
            RequestTimeoutMs = 10_000,
            ConnectTimeoutMs = 2_000,
            MaxInFlight = RemoteStepLink.MaxInFlight,
        };
    }

    /// <summary>
    /// Starts the saga coordinator (replaying its journal, resuming open sagas) when this node runs one, and returns the
    /// gateway's cross-partition seam; null when cross-partition transfers are refused here.
    /// </summary>
    /// <param name="log">Where a cross-partition transfer that ends with an unknown outcome is reported (error 601).</param>
    public ICrossPartitionTransfers? StartSagas(ILogger? log = null)
    {
        if (_stepTransport is not null) return StartSagaReplica(log);
        if (_sagaRouters is null) return null;
        SagaSettings s = _settings.Saga;
        var options = new SagaCoordinatorOptions
        {
            DataDirectory = s.DataDirectory,
            Fsync = _settings.Partition.Fsync,
            RetryIntervalNs = s.RetryIntervalMs * 1_000_000,
            SnapshotEveryCommands = s.SnapshotEveryCommands,
            JournalRetention = s.JournalRetention,
            Saga = SagaMachineOptions(),
        };
        _sagas = SagaCoordinator.Start(options, _engines, _sagaRouters);
        return new SagaCrossPartitionTransfers(_sagas, s.Mode, log);
    }

    /// <summary>The saga machine's options from the "Saga" section (the same for the local coordinator and a replica).</summary>
    private SagaOptions SagaMachineOptions()
    {
        SagaSettings s = _settings.Saga;
        return new SagaOptions
        {
            Map = Map,
            Catalog = _settings.Partition.Ledger.Catalog,
            MaxActiveSagas = s.MaxActiveSagas,
            RetainedCompletedSagas = s.RetainedCompletedSagas,
            StepDeadlineNs = s.StepDeadlineMs * 1_000_000,
        };
    }

    /// <summary>
    /// Stops the coordinator after its current round; open sagas stay in its journal and resume at the next start.
    /// False when its thread did not stop in time (its journal is then left open rather than closed under it).
    /// </summary>
    public bool StopSagas(TimeSpan timeout)
    {
        SagaReplica? replica = Interlocked.Exchange(ref _sagaReplica, null);
        replica?.Dispose(); // waiters hear NotLeader; the group's other replicas carry on
        if (_stepTransport is not null) _stepTransport.DisposeAsync().AsTask().Wait(timeout);
        SagaCoordinator? sagas = _sagas;
        if (sagas is null) return true;
        _sagas = null;
        try
        {
            sagas.Stop(timeout);
        }
        catch (TimeoutException)
        {
            return false;
        }
        sagas.Dispose();
        return true;
    }

    /// <summary>
    /// Cluster: this node's replica of the saga group (its journal in Saga:Directory, its own replication port). It acts
    /// only while it leads; until the partitions' agents run, every step goes over the network.
    /// </summary>
    private ICrossPartitionTransfers StartSagaReplica(ILogger? log)
    {
        SagaSettings s = _settings.Saga;
        var options = new SagaReplicaOptions
        {
            DataDirectory = s.DataDirectory,
            Fsync = _settings.Partition.Fsync,
            RetryIntervalNs = s.RetryIntervalMs * 1_000_000,
            SnapshotEveryCommands = s.SnapshotEveryCommands,
            JournalRetention = s.JournalRetention,
            Saga = SagaMachineOptions(),
        };
        var replica = new SagaReplica(_settings.SagaCluster()!, options, _stepTransport!);
        replica.Start();
        _sagaReplica = replica;
        return new ReplicatedSagaCrossPartitionTransfers(replica, s.Mode, log);
    }

    /// <summary>Starts one consensus agent per partition (a replica of each partition's group). Disposes what started on a failure.</summary>
    public void StartConsensus()
    {
        if (_settings.Cluster is null) return;
        var agents = new List<ConsensusAgent>(_engines.Length);
        try
        {
            for (int p = 0; p < _engines.Length; p++)
            {
                var agent = new ConsensusAgent(_settings.ClusterFor(p)!, _engines[p], _settings.Partitions[p].DataDirectory);
                agents.Add(agent);
                agent.Start();
            }
        }
        catch
        {
            foreach (ConsensusAgent a in agents) a.Dispose();
            throw;
        }
        _agents = [.. agents];
        _stepTransport?.BindAgents(_agents);
    }

    /// <summary>
    /// The gateway's router for this node's shape (one/N partitions, single node/replica). <paramref name="crossPartition"/>
    /// is where transfers spanning two partitions go (the saga coordinator); null refuses them. One partition has none.
    /// </summary>
    public IRequestRouter CreateRouter(ICrossPartitionTransfers? crossPartition = null)
    {
        if (_agents.Length > 0)
        {
            // Items led by another node are forwarded there (docs/gateway.md): with several partitions whose leaders
            // may be different nodes, for every protocol; with one, for FIX and HTTP (SBE clients follow Redirects).
            if (_settings.Forwarding.Enabled) _forwarder ??= new PeerForwarder(_settings.Forwarding, Map.PartitionOf);
            return _engines.Length == 1
                ? new ReplicatedRouter(_engines[0], _agents[0], _forwarder)
                : new ReplicatedPartitionsRouter(_engines, _agents, Map, crossPartition, _forwarder);
        }
        return _engines.Length == 1 ? new SinglePartitionRouter(_engines[0]) : new PartitionedRouter(_engines, Map, crossPartition);
    }

    /// <summary>One read model per partition, each projecting its own event journal.</summary>
    public void StartReadModels(ILogger log)
    {
        var hosts = new ReadModelHost[_engines.Length];
        for (int p = 0; p < hosts.Length; p++)
        {
            string directory = PartitionLayout.ReadModelDirectoryOf(_settings.DataDirectory, _settings.Api.ReadModelDirectory, _engines.Length, p);
            hosts[p] = ReadModelHost.Start(_settings.Api, _engines[p], log, directory);
        }
        _readModels = hosts;
    }

    public ReadModelStore?[] Views()
    {
        var views = new ReadModelStore?[_readModels.Length];
        for (int p = 0; p < views.Length; p++) views[p] = _readModels[p].Store;
        return views;
    }

    public ReadModelProjector?[] Projectors()
    {
        var projectors = new ReadModelProjector?[_readModels.Length];
        for (int p = 0; p < projectors.Length; p++) projectors[p] = _readModels[p].Projector;
        return projectors;
    }

    /// <summary>True while every partition runs and no consensus agent has failed.</summary>
    public bool Healthy
    {
        get
        {
            foreach (PartitionEngine e in _engines)
            {
                if (e.State != PartitionState.Running) return false;
            }
            return AgentFailure is null && _sagaReplica?.Failure is null;
        }
    }

    /// <summary>The least ready state of any partition (readiness: Running only when all are).</summary>
    public PartitionState WorstState
    {
        get
        {
            PartitionState worst = PartitionState.Running;
            foreach (PartitionEngine e in _engines)
            {
                if (e.State != PartitionState.Running) worst = e.State;
            }
            return worst;
        }
    }

    public Exception? AgentFailure
    {
        get
        {
            foreach (ConsensusAgent a in _agents)
            {
                if (a.Failure is not null) return a.Failure;
            }
            return null;
        }
    }

    /// <summary>Sum of the partitions' applied indexes (health output; each partition has its own log).</summary>
    public long AppliedIndexTotal
    {
        get
        {
            long total = 0;
            foreach (PartitionEngine e in _engines) total += e.AppliedIndex;
            return total;
        }
    }

    public void RequestSnapshots()
    {
        foreach (PartitionEngine e in _engines) e.RequestSnapshot();
    }

    /// <summary>Consensus first: nothing more is committed here, and clients move to the next leaders.</summary>
    public void StopConsensus()
    {
        foreach (ConsensusAgent a in _agents) a.Dispose();
        // Forwarded requests still in flight are answered "outcome unknown": their clients resubmit to the next leaders.
        PeerForwarder? forwarder = Interlocked.Exchange(ref _forwarder, null);
        forwarder?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
    }

    /// <summary>The projectors read the event journals, which the partitions close: stopped first (they resume from their checkpoints).</summary>
    public void StopProjectors()
    {
        foreach (ReadModelHost r in _readModels) r.StopProjector();
    }

    /// <summary>Stops every partition, each with its own snapshot (an untouched one has nothing to snapshot); true when all drained in time.</summary>
    public bool StopPartitions(TimeSpan timeout)
    {
        bool clean = true;
        foreach (PartitionEngine e in _engines) clean &= e.Stop(timeout, snapshot: e.AppliedIndex > 0);
        return clean;
    }

    public void DisposeReadModels()
    {
        foreach (ReadModelHost r in _readModels) r.Dispose();
    }

    public PartitionEngine? FirstFailed()
    {
        foreach (PartitionEngine e in _engines)
        {
            if (e.State == PartitionState.Failed) return e;
        }
        return null;
    }
}
