using Wallet.Replication.Simulation;

namespace Wallet.Replication.Tests;

/// <summary>
/// A hand-driven cluster for unit tests: messages wait in a list until the test delivers them, links can be cut,
/// time advances only when the test says so. Uses the simulator's in-memory disk.
/// </summary>
internal sealed class TestCluster
{
    public readonly List<(int From, int To, byte[] Bytes)> Wire = new();
    public readonly HashSet<(int From, int To)> Cut = new();
    public readonly Dictionary<int, RaftNode> Nodes = new();
    public readonly Dictionary<int, SimLog> Logs = new();
    public readonly Dictionary<int, SimStateStore> Stores = new();
    public readonly Dictionary<int, SimSnapshotStore> Snapshots = new();
    public long NowMs;
    private readonly int[] _members;
    private readonly Func<int, bool, RaftOptions> _optionsFor;
    private readonly bool _withSnapshots;
    private readonly ulong _seed;

    public TestCluster(int size, bool preVote = true, bool checkQuorum = true, int maxMessageBytes = RaftOptions.DefaultMaxMessageBytes, int maxInFlight = 8 << 20, ulong seed = 7,
        bool snapshots = false, int snapshotChunkBytes = 1024, int rejoinQuietMs = 0, int snapshotReadBytesPerFlush = 1 << 20)
    {
        _withSnapshots = snapshots;
        _seed = seed;
        _members = new int[size];
        for (var i = 0; i < size; i++) _members[i] = i + 1;
        _optionsFor = (id, rejoin) => new RaftOptions
        {
            NodeId = id,
            Members = _members,
            ElectionTimeoutMs = 100,
            HeartbeatIntervalMs = 20,
            ResendTimeoutMs = 50,
            PreVote = preVote,
            CheckQuorum = checkQuorum,
            MaxMessageBytes = maxMessageBytes,
            MaxInFlightBytesPerFollower = maxInFlight,
            MaxEntryPayloadBytes = Math.Min(4096, maxMessageBytes - RaftOptions.AppendEntriesOverheadBytes - RaftOptions.EntryHeaderBytes),
            SnapshotChunkBytes = snapshotChunkBytes,
            SnapshotReadBytesPerFlush = snapshotReadBytesPerFlush,
            RejoinAfterDataLoss = rejoin,
            // 0 by default: these hand-driven tests restart a replica at once and exercise the catch-up rules themselves;
            // RejoinQuietTests exercise the quiet period (RaftOptions.RejoinQuietMs) that enforces the downtime.
            RejoinQuietMs = rejoinQuietMs,
        };
        var random = new SimRandom(seed);
        foreach (var id in _members)
        {
            Logs[id] = new SimLog();
            Stores[id] = new SimStateStore();
            Snapshots[id] = new SimSnapshotStore(new SimRandom(seed + (ulong)id), 0);
            Nodes[id] = new RaftNode(_optionsFor(id, false), Logs[id], Stores[id], random.Fork(), new Outbox(this, id), snapshots ? Snapshots[id] : null);
        }
    }

    public IEnumerable<int> Ids => _members;

    public RaftOptions OptionsFor(int id) => _optionsFor(id, false);

    /// <summary>Replaces a node by a fresh one over the same disk (a restart), optionally as a replica rejoining after data loss.</summary>
    public void Restart(int id, ulong seed = 99, bool rejoin = false)
    {
        Wire.RemoveAll(m => m.To == id);
        Nodes[id] = new RaftNode(_optionsFor(id, rejoin), Logs[id], Stores[id], new SimRandom(seed), new Outbox(this, id), _withSnapshots ? Snapshots[id] : null);
    }

    /// <summary>
    /// The node loses its disk: log, hard state (term and vote) and snapshot files are replaced by empty ones, and it
    /// restarts over them — with <see cref="RaftOptions.RejoinAfterDataLoss"/> when <paramref name="rejoin"/>.
    /// </summary>
    public void WipeAndRestart(int id, bool rejoin, ulong seed = 99)
    {
        Logs[id] = new SimLog();
        Stores[id] = new SimStateStore();
        Snapshots[id] = new SimSnapshotStore(new SimRandom(_seed + (ulong)id + 1000), 0);
        Restart(id, seed, rejoin);
    }

    /// <summary>Delivers everything on the wire (and whatever that produces) except over cut links, then flushes every node.</summary>
    public void DeliverAll(int maxRounds = 1000)
    {
        for (var round = 0; round < maxRounds && Wire.Count > 0; round++)
        {
            var batch = Wire.ToArray();
            Wire.Clear();
            foreach (var (from, to, bytes) in batch)
            {
                if (Cut.Contains((from, to))) continue;
                Nodes[to].Receive(from, bytes, NowMs);
            }

            FlushAll();
        }
    }

    /// <summary>Delivers only what is on the wire now (one network round trip leg), then flushes every node.</summary>
    public void DeliverRound()
    {
        var batch = Wire.ToArray();
        Wire.Clear();
        foreach (var (from, to, bytes) in batch)
        {
            if (Cut.Contains((from, to))) continue;
            Nodes[to].Receive(from, bytes, NowMs);
        }

        FlushAll();
    }

    public void FlushAll()
    {
        foreach (var n in Nodes.Values) n.Flush(NowMs);
    }

    /// <summary>Advances time in 1 ms ticks, delivering messages after each.</summary>
    public void Run(int ms)
    {
        for (var i = 0; i < ms; i++)
        {
            NowMs++;
            foreach (var n in Nodes.Values) n.Tick(NowMs);
            FlushAll();
            DeliverAll();
        }
    }

    public RaftNode? Leader()
    {
        RaftNode? leader = null;
        foreach (var n in Nodes.Values)
        {
            if (n.Role == RaftRole.Leader && (leader is null || n.Term > leader.Term)) leader = n;
        }

        return leader;
    }

    public RaftNode ElectLeader(int maxMs = 2000)
    {
        for (var i = 0; i < maxMs; i++)
        {
            Run(1);
            var l = Leader();
            if (l is not null && l.CommitIndex >= l.LastIndex) return l;
        }

        throw new InvalidOperationException("no leader elected");
    }

    public void Isolate(int id)
    {
        foreach (var other in _members)
        {
            if (other == id) continue;
            Cut.Add((id, other));
            Cut.Add((other, id));
        }
    }

    private sealed class Outbox(TestCluster cluster, int from) : IRaftOutbox
    {
        public void Send(int toNode, ReadOnlySpan<byte> message) => cluster.Wire.Add((from, toNode, message.ToArray()));
    }
}
