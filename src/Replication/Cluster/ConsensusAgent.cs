using System.Net;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Ring;
using Wallet.Engine.Snapshots;
using Wallet.Replication.Transport;

namespace Wallet.Replication.Cluster;

/// <summary>
/// The consensus module's one agent per partition replica: a dedicated thread that owns the <see cref="RaftNode"/>, the
/// partition's command journal (as the Raft log) and the replication transport, and drives the partition through its
/// <see cref="SequencerPort"/>. Each loop: drain peer messages → (leader) stamp and propose what clients submitted,
/// (follower) refuse it with NotLeader → timers → flush (one journal sync per batch, then acks/streams go out) →
/// publish newly committed entries to the BLP in log order → release reads whose predecessors are committed → sleep
/// until woken when there was nothing to do. The BLP therefore applies committed entries only, on every replica.
/// </summary>
public sealed class ConsensusAgent : IDisposable
{
    private readonly ClusterOptions _options;
    private readonly PartitionEngine _engine;
    private readonly SequencerPort _port;
    private readonly IClock _clock;
    private readonly JournalRaftLog _log;
    private readonly FileRaftStateStore _hardState;
    private readonly FileRaftSnapshotStore _snapshotFiles;
    private long _installsSeen;
    private bool _installPending;
    private long _compactedBelow;
    private readonly TcpTransport _transport;
    private readonly RaftNode _node;
    private readonly int _applyCursor;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Thread _thread;
    private readonly PendingProposals _proposals;
    private readonly PendingQueries _queries;
    private volatile bool _stopping;
    private bool _wasLeader;
    private long _lastTimestampNs;

    // Mirrors of the node's state for other threads (gateway routing, monitoring).
    private volatile int _role;
    private volatile int _leaderId = -1;
    private volatile bool _rejoining;
    private long _term;
    private long _commitIndex;
    private long _lastIndex;
    private readonly long[] _durableByMember;
    private readonly long[] _snapshotGauges = new long[(int)SnapshotGauge.Count];
    private Exception? _failure;

    /// <param name="options">Membership and timings; <see cref="ClusterOptions.NodeId"/> is this replica.</param>
    /// <param name="engine">A partition started with <see cref="PartitionSequencing.External"/>; its journal becomes the Raft log.</param>
    /// <param name="stateDirectory">Where the Raft hard state (term, vote) is kept: the partition's data directory.</param>
    /// <param name="clock">The sequencer's clock (leader stamps); the BLP never reads it.</param>
    public ConsensusAgent(ClusterOptions options, PartitionEngine engine, string stateDirectory, IClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(engine);
        options.Validate();
        _options = options;
        _engine = engine;
        _port = engine.Sequencer ?? throw new ArgumentException("the partition must be started with Sequencing = External", nameof(engine));
        _clock = clock ?? SystemClock.Instance;
        _applyCursor = options.Members.Count;
        _log = new JournalRaftLog(_port.CommandJournal, maxCursors: options.Members.Count + 1);
        _hardState = new FileRaftStateStore(Path.Combine(stateDirectory, "raft-state"));
        ClusterMember self = options.Self;
        var peers = new Dictionary<int, (string Host, int Port)>();
        var ids = new int[options.Members.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ClusterMember m = options.Members[i];
            ids[i] = m.Id;
            if (m.Id != self.Id) peers.Add(m.Id, (m.Host, m.ReplicationPort));
        }
        var raft = new RaftOptions
        {
            NodeId = self.Id,
            Members = ids,
            ElectionTimeoutMs = options.ElectionTimeoutMs,
            HeartbeatIntervalMs = options.HeartbeatIntervalMs,
            MaxMessageBytes = Math.Min(RaftOptions.DefaultMaxMessageBytes * 4, options.Transport.MaxMessageBytes),
            SnapshotChunkBytes = options.SnapshotChunkBytes,
            MaxSnapshotBytes = options.MaxSnapshotBytes,
            RejoinAfterDataLoss = options.RejoinAfterDataLoss,
            RejoinQuietMs = options.RejoinQuietMs,
        };
        if (engine.MaxCommandBytes > raft.MaxEntryPayloadBytes)
            throw new ArgumentException($"Partition MaxCommandBytes {engine.MaxCommandBytes} exceeds what one consensus message carries ({raft.MaxEntryPayloadBytes})", nameof(engine));
        _transport = new TcpTransport(self.Id, options.ClusterId, new IPEndPoint(ListenAddress(self.Host), self.ReplicationPort), peers, options.Transport, _wake.Set);
        _snapshotFiles = new FileRaftSnapshotStore(new SnapshotStore(engine.SnapshotDirectory, PartitionEngine.SnapshotPrefix), options.Members.Count);
        _node = new RaftNode(raft, _log, _hardState, new SystemRaftRandom(), _transport, _snapshotFiles);
        _rejoining = _node.Rejoining;
        _proposals = new PendingProposals(options.MaxPendingProposals);
        _durableByMember = new long[options.Members.Count];
        _queries = new PendingQueries(options.MaxPendingQueries);
        _lastTimestampNs = _log.LastTimestampNs;
        _thread = new Thread(Run) { IsBackground = true, Name = $"consensus-{self.Id}" };
    }

    public int NodeId => _options.NodeId;
    public RaftRole Role => (RaftRole)_role;
    public bool IsLeader => Role == RaftRole.Leader;
    /// <summary>The leader as this node knows it; -1 during an election.</summary>
    public int LeaderId => _leaderId;
    public long Term => Interlocked.Read(ref _term);
    /// <summary>True while this replica is a non-voting catch-up member after data loss (<see cref="RaftNode.Rejoining"/>).</summary>
    public bool Rejoining => _rejoining;
    public long CommitIndex => Interlocked.Read(ref _commitIndex);
    /// <summary>Newest index in this replica's log (committed or not).</summary>
    public long LastIndex => Interlocked.Read(ref _lastIndex);

    /// <summary>
    /// Replica lag as the leader sees it: entries of the leader's log that <paramref name="nodeId"/> has not yet
    /// acknowledged as durable; -1 when this node does not lead (only the leader knows).
    /// </summary>
    public long LagOf(int nodeId)
    {
        for (int i = 0; i < _durableByMember.Length; i++)
        {
            if (_options.Members[i].Id != nodeId) continue;
            long durable = Interlocked.Read(ref _durableByMember[i]);
            return durable < 0 ? -1 : Math.Max(0, LastIndex - durable);
        }
        return -1;
    }
    public ClusterOptions Options => _options;

    /// <summary>Snapshot catch-up and retention, mirrored for other threads (metrics): see <see cref="SnapshotGauge"/>.</summary>
    public long SnapshotGaugeValue(SnapshotGauge gauge) =>
        (uint)gauge < (uint)SnapshotGauge.Count ? Interlocked.Read(ref _snapshotGauges[(int)gauge]) : throw new ArgumentOutOfRangeException(nameof(gauge));
    public RaftCounters Counters => _node.Counters;
    /// <summary>The exception that stopped the agent, if one did (the node then stops answering: a crash, to peers).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);
    /// <summary>The replication endpoint actually bound (port 0 in the options picks one).</summary>
    public IPEndPoint ReplicationEndPoint => _transport.LocalEndPoint;
    public TcpTransport Transport => _transport;

    public void Start()
    {
        _port.SetIngressSignal(_wake.Set);
        _transport.Start();
        _thread.Start();
    }

    private static IPAddress ListenAddress(string host) =>
        IPAddress.TryParse(host, out IPAddress? address) ? address : IPAddress.Any;

    private void Run()
    {
        var inbound = new InboundToNode(_node);
        var leaderIntake = new LeaderIntake(this);
        var refusals = new Refusals(this);
        try
        {
            while (!_stopping)
            {
                _wake.Reset();
                long nowMs = Environment.TickCount64;
                inbound.NowMs = nowMs;
                int work = _transport.Drain(ref inbound);
                if (_node.Role == RaftRole.Leader)
                {
                    leaderIntake.Taken = 0;
                    _port.PollIngress(ref leaderIntake);
                    work += leaderIntake.Taken;
                }
                else
                {
                    refusals.Taken = 0;
                    _port.PollIngress(ref refusals);
                    work += refusals.Taken;
                }
                _node.Tick(nowMs);
                _node.Flush(nowMs);
                OnRoleObserved();
                work += PublishSnapshotInstall();
                work += PublishCommitted();
                work += PublishQueries();
                CompactJournal();
                if (work == 0 && !_stopping) _wake.Wait(_options.IdleWaitMs);
            }
        }
#pragma warning disable CA1031 // The agent's failure must be visible (Failure) and stop this replica, whatever it is.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _failure, ex);
        }
    }

    private void OnRoleObserved()
    {
        RaftRole role = _node.Role;
        _role = (int)role;
        _leaderId = _node.LeaderId;
        _rejoining = _node.Rejoining;
        Interlocked.Exchange(ref _term, _node.Term);
        Interlocked.Exchange(ref _commitIndex, _node.CommitIndex);
        Interlocked.Exchange(ref _lastIndex, _node.LastIndex);
        RaftCounters k = _node.Counters;
        Interlocked.Exchange(ref _snapshotGauges[(int)SnapshotGauge.LogFirstIndex], _log.FirstIndex);
        Interlocked.Exchange(ref _snapshotGauges[(int)SnapshotGauge.TransfersStarted], k.SnapshotTransfersStarted);
        Interlocked.Exchange(ref _snapshotGauges[(int)SnapshotGauge.TransfersCompleted], k.SnapshotTransfersCompleted);
        Interlocked.Exchange(ref _snapshotGauges[(int)SnapshotGauge.TransferRestarts], k.SnapshotTransferRestarts);
        Interlocked.Exchange(ref _snapshotGauges[(int)SnapshotGauge.Installed], k.SnapshotsInstalled);
        Interlocked.Exchange(ref _snapshotGauges[(int)SnapshotGauge.Rejected], k.SnapshotsRejected);
        Interlocked.Exchange(ref _snapshotGauges[(int)SnapshotGauge.Required], k.SnapshotRequired);
        for (int i = 0; i < _durableByMember.Length; i++)
        {
            Interlocked.Exchange(ref _durableByMember[i], _node.DurableIndexOf(_options.Members[i].Id));
        }
        bool leader = role == RaftRole.Leader;
        if (_wasLeader && !leader)
        {
            // Lost the leadership: proposals not yet committed may never be (or be committed by the next leader from our
            // log). Their clients are told NotLeader now and resubmit to the leader with the same ids: idempotency makes
            // that exactly-once either way. Reads waiting here go the same way.
            _proposals.RefuseAll(this);
            _queries.RefuseAll(this);
        }
        _wasLeader = leader;
    }

    /// <summary>
    /// The node installed a leader's snapshot (its log now starts after it): the BLP must replace its state before any
    /// later entry is published. Handed over through the committed ring, so the BLP thread does the swap in order.
    /// </summary>
    private int PublishSnapshotInstall()
    {
        if (_node.SnapshotInstalls != _installsSeen)
        {
            _installsSeen = _node.SnapshotInstalls;
            _installPending = _node.LastInstalledSnapshot.Index > _port.PublishedIndex;
        }
        if (!_installPending) return 0;
        RaftSnapshotMeta meta = _node.LastInstalledSnapshot;
        if (!_port.TryPublishSnapshotInstall(meta.Index, meta.Term, meta.TimestampNs)) return 0; // BLP behind: next loop
        _installPending = false;
        return 1;
    }

    /// <summary>
    /// Retention under consensus: delete command segments the retained snapshots cover, but keep RetainMarginEntries
    /// below the newest one so ordinary lag is still served from the log. The term at the cut stays known (segment header).
    /// </summary>
    private void CompactJournal()
    {
        long covered = _engine.CommandRetentionIndex;
        if (covered <= _compactedBelow) return;
        long below = Math.Min(covered, _engine.LastSnapshotIndex - _options.RetainMarginEntries + 1);
        below = Math.Min(below, _port.PublishedIndex + 1);
        if (below <= _compactedBelow) return;
        _compactedBelow = below;
        _log.CompactBefore(below);
    }

    private int PublishCommitted()
    {
        int published = 0;
        if (_installPending) return 0;
        long commit = _node.CommitIndex;
        while (_port.PublishedIndex < commit)
        {
            long index = _port.PublishedIndex + 1;
            if (!_log.TryRead(_applyCursor, index, out RaftLogEntry entry))
                throw new InvalidOperationException($"committed index {index} is not readable from the log (first {_log.FirstIndex}, last {_log.LastIndex})");
            _proposals.TakeClient(index, entry.Term, out long sessionId, out long correlationId);
            if (!_port.TryPublishCommitted(entry.Type, index, entry.Term, entry.TimestampNs, entry.Payload, sessionId, correlationId))
            {
                // The BLP is behind; keep the client for the retry.
                _proposals.Restore(index, entry.Term, sessionId, correlationId);
                break;
            }
            published++;
        }
        return published;
    }

    private int PublishQueries()
    {
        int published = 0;
        while (_queries.TryPeek(out long afterIndex) && afterIndex <= _port.PublishedIndex)
        {
            if (!_queries.TryPublishHead(_port)) break;
            published++;
        }
        return published;
    }

    /// <summary>Publishes a refusal; the BLP drains its ring continuously, so a full ring is waited out briefly.</summary>
    internal void Refuse(long sessionId, long correlationId)
    {
        if (sessionId <= 0) return;
        var spin = new SpinWait();
        while (!_port.TryPublishQuery(QueryKind.NotLeader, sessionId, correlationId, []))
        {
            if (_stopping || _engine.State != PartitionState.Running) return;
            spin.SpinOnce(sleep1Threshold: 10);
        }
    }

    /// <summary>Leader: stamps a client command (log time never goes back, one ns per item) and proposes it.</summary>
    private bool ProposeCommand(ref CommandSlot slot)
    {
        long floor = _lastTimestampNs + LedgerStateMachine.ItemCountOf((CommandKind)slot.Kind, slot.PayloadLength) + 1;
        floor = Math.Max(floor, _log.LastTimestampNs + 1);
        long now = _clock.UtcNowNs();
        long timestampNs = now >= floor ? now : floor;
        long index = _node.Propose(slot.Kind, timestampNs, slot.PayloadSpan);
        if (index < 0)
        {
            Refuse(slot.SessionId, slot.CorrelationId);
            return true;
        }
        _lastTimestampNs = timestampNs;
        _proposals.Add(index, _node.Term, slot.SessionId, slot.CorrelationId);
        return _proposals.HasRoom;
    }

    private bool EnqueueQuery(ref CommandSlot slot)
    {
        // A read observes every command submitted before it: release it once the log up to here is committed.
        _queries.Add(_node.LastIndex, slot.Kind, slot.SessionId, slot.CorrelationId, slot.PayloadSpan);
        return _queries.HasRoom;
    }

    private struct InboundToNode(RaftNode node) : IInboundHandler
    {
        public long NowMs;
        public readonly void OnMessage(int fromNode, ReadOnlySpan<byte> message) => node.Receive(fromNode, message, NowMs);
    }

    private struct LeaderIntake(ConsensusAgent agent) : IPollHandler<CommandSlot>
    {
        public int Taken;

        public bool OnEvent(ref CommandSlot data, long sequence, bool endOfBatch)
        {
            Taken++;
            // Stop after this one when the bookkeeping is full: the rest wait in the ingress ring (clients see Busy).
            return QueryKind.IsQuery(data.Kind) ? agent.EnqueueQuery(ref data) : agent.ProposeCommand(ref data);
        }
    }

    private struct Refusals(ConsensusAgent agent) : IPollHandler<CommandSlot>
    {
        public int Taken;

        public bool OnEvent(ref CommandSlot data, long sequence, bool endOfBatch)
        {
            Taken++;
            agent.Refuse(data.SessionId, data.CorrelationId);
            return true;
        }
    }

    /// <summary>Stops the agent thread and the transport. The partition is stopped by its owner afterwards.</summary>
    public void Stop()
    {
        if (_stopping) return;
        _stopping = true;
        _wake.Set();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(10));
        _port.SetIngressSignal(null);
        _transport.Dispose();
        _log.Dispose();
        _snapshotFiles.Dispose();
    }

    public void Dispose()
    {
        Stop();
        _wake.Dispose();
    }
}
