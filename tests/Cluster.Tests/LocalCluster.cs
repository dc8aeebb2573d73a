using System.Net;
using System.Net.Sockets;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Replication;
using Wallet.Replication.Cluster;

namespace Wallet.Cluster.Tests;

/// <summary>N replicas of one partition in this process, each with its own data directory, talking over loopback TCP.</summary>
internal sealed class LocalCluster : IDisposable
{
    private readonly string _root;
    private readonly List<ClusterMember> _members = [];
    private readonly Replica?[] _replicas;

    internal sealed record Replica(int Id, PartitionEngine Engine, ConsensusAgent Agent, Results Results);

    private readonly SnapshotTuning? _snapshots;

    /// <summary>Snapshots and journal retention under consensus (null: the defaults of the other tests, no snapshots).</summary>
    internal sealed record SnapshotTuning(long IntervalCommands, long RetainMarginEntries, int SnapshotChunkBytes = 64 << 10);

    public LocalCluster(int size, SnapshotTuning? snapshots = null)
    {
        _snapshots = snapshots;
        _root = Path.Combine(Path.GetTempPath(), "wallet-tests", "cluster-" + Guid.NewGuid().ToString("N")[..12]);
        for (int id = 1; id <= size; id++) _members.Add(new ClusterMember(id, "127.0.0.1", 1, FreePort()));
        _replicas = new Replica?[size + 1];
        for (int id = 1; id <= size; id++) Start(id);
    }

    public static LedgerOptions Ledger { get; } = new()
    {
        Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2)]),
        MaxAccounts = 4096,
        MaxBatchSize = 256,
        MaxPendingTransfers = 256,
        TransferRetentionCount = 1 << 14,
    };

    public string DataDirectory(int id) => Path.Combine(_root, $"node-{id}");

    public Replica this[int id] => _replicas[id] ?? throw new InvalidOperationException($"node {id} is down");

    public bool IsUp(int id) => _replicas[id] is not null;

    /// <param name="id">The replica.</param>
    /// <param name="rejoinAfterDataLoss">Start it as a replica that lost its data (Cluster:RejoinAfterDataLoss).</param>
    public void Start(int id, bool rejoinAfterDataLoss = false)
    {
        if (_replicas[id] is not null) throw new InvalidOperationException($"node {id} is already up");
        var results = new Results();
        PartitionEngine engine = PartitionEngine.Start(new PartitionOptions
        {
            DataDirectory = DataDirectory(id),
            Ledger = Ledger,
            IngressRingSize = 256,
            EgressRingSize = 256,
            JournalSegmentSizeBytes = _snapshots is null ? 4 << 20 : JournalOptions.MinSegmentSizeBytes,
            // Small segments (so retention has whole segments to delete) must still hold two of the largest commands.
            MaxCommandBytes = _snapshots is null ? 64 << 10 : 32 << 10,
            Fsync = FsyncPolicy.None,
            SnapshotIntervalCommands = _snapshots?.IntervalCommands ?? 0,
            SnapshotRetainCount = 1,
            JournalRetention = _snapshots is null ? JournalRetention.KeepAll : JournalRetention.BeforeOldestSnapshot,
            Sequencing = PartitionSequencing.External,
        }, results);
        var agent = new ConsensusAgent(new ClusterOptions
        {
            NodeId = id,
            Members = _members,
            // Generous for a loaded 2-core runner (other test assemblies run at the same time): a stalled thread must
            // not look like a dead leader.
            ElectionTimeoutMs = 600,
            HeartbeatIntervalMs = 60,
            RetainMarginEntries = _snapshots?.RetainMarginEntries ?? 100_000,
            SnapshotChunkBytes = _snapshots?.SnapshotChunkBytes ?? 256 << 10,
            RejoinAfterDataLoss = rejoinAfterDataLoss,
        }, engine, DataDirectory(id));
        agent.Start();
        _replicas[id] = new Replica(id, engine, agent, results);
    }

    /// <summary>Takes a replica down (agent first, so nothing more is committed or published there).</summary>
    public void Stop(int id)
    {
        Replica r = this[id];
        r.Agent.Dispose();
        r.Engine.Stop(TimeSpan.FromSeconds(10), snapshot: false);
        _replicas[id] = null;
    }

    /// <summary>The single leader among the live replicas, waiting up to <paramref name="timeoutMs"/>.</summary>
    public Replica WaitForLeader(int timeoutMs = 10_000, int? notId = null)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            Replica? leader = null;
            int leaders = 0;
            foreach (Replica? r in _replicas)
            {
                if (r is null) continue;
                Assert.Null(r.Agent.Failure);
                if (r.Agent.IsLeader && r.Id != notId)
                {
                    leaders++;
                    leader = r;
                }
            }
            if (leaders == 1) return leader!;
            Assert.True(Environment.TickCount64 < deadline, $"no single leader within {timeoutMs} ms");
            Thread.Sleep(10);
        }
    }

    /// <summary>Waits until every live replica applied at least <paramref name="index"/>.</summary>
    public void WaitApplied(long index, int timeoutMs = 10_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        foreach (Replica? r in _replicas)
        {
            if (r is null) continue;
            while (r.Engine.AppliedIndex < index)
            {
                Assert.Null(r.Agent.Failure);
                Assert.True(Environment.TickCount64 < deadline, $"node {r.Id} applied {r.Engine.AppliedIndex}, expected {index} within {timeoutMs} ms");
                Thread.Sleep(5);
            }
        }
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        for (int id = 1; id < _replicas.Length; id++)
        {
            if (_replicas[id] is not null) Stop(id);
        }
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
