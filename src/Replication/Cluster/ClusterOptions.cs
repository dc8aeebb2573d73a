using Wallet.Replication.Transport;

namespace Wallet.Replication.Cluster;

/// <summary>Static membership and timings of one replicated partition, as this node runs it.</summary>
public sealed class ClusterOptions
{
    /// <summary>This node's id; must be one of <see cref="Members"/>.</summary>
    public required int NodeId { get; init; }
    /// <summary>Every replica, this one included: 1, 3 or 5.</summary>
    public required IReadOnlyList<ClusterMember> Members { get; init; }
    /// <summary>Connections from replicas of another cluster id are refused.</summary>
    public uint ClusterId { get; init; } = 1;
    /// <summary>Minimum election timeout; each node waits a random time in [this, 2 × this).</summary>
    public int ElectionTimeoutMs { get; init; } = 300;
    public int HeartbeatIntervalMs { get; init; } = 50;
    /// <summary>Longest the driver sleeps when it has nothing to do (it is woken early by arrivals).</summary>
    public int IdleWaitMs { get; init; } = 2;
    /// <summary>Commands proposed but not yet committed that this leader remembers the client of (power of two).</summary>
    public int MaxPendingProposals { get; init; } = 1 << 16;
    /// <summary>Reads waiting for the commands before them to commit (power of two).</summary>
    public int MaxPendingQueries { get; init; } = 1 << 12;
    public TransportOptions Transport { get; init; } = new();
    /// <summary>
    /// Journal retention under consensus (with Partition JournalRetention = BeforeOldestSnapshot): command-journal segments
    /// are deleted only below the newest snapshot index minus this many entries, so a follower that lags by less still
    /// catches up from the log; one further behind is sent the snapshot (InstallSnapshot).
    /// </summary>
    public long RetainMarginEntries { get; init; } = 100_000;
    /// <summary>InstallSnapshot: bytes of snapshot per chunk message (capped to what one consensus message carries).</summary>
    public int SnapshotChunkBytes { get; init; } = 256 << 10;
    /// <summary>InstallSnapshot: the largest snapshot file a leader sends or a follower accepts.</summary>
    public long MaxSnapshotBytes { get; init; } = 16L << 30;
    /// <summary>
    /// This replica lost its data (empty data directory after a disk loss or a replaced machine): it rejoins every one of
    /// its groups as a non-voting catch-up member until caught up (<see cref="RaftOptions.RejoinAfterDataLoss"/>). Off by
    /// default; remove it once the node reports caught up. Refused on a single-member cluster.
    /// </summary>
    public bool RejoinAfterDataLoss { get; init; }
    /// <summary>
    /// With <see cref="RejoinAfterDataLoss"/>: how long after start the replica stays silent (ignores and sends every
    /// consensus message) before following a leader — <see cref="RaftOptions.RejoinQuietMs"/>. -1 (default): automatic,
    /// 4 × ElectionTimeoutMs + 1 s; 0: no wait.
    /// </summary>
    public int RejoinQuietMs { get; init; } = -1;

    /// <summary>The quiet period in force (what every group's <see cref="RaftOptions.EffectiveRejoinQuietMs"/> comes to).</summary>
    public int EffectiveRejoinQuietMs => new RaftOptions
    {
        NodeId = NodeId, Members = [NodeId], ElectionTimeoutMs = ElectionTimeoutMs, RejoinAfterDataLoss = RejoinAfterDataLoss, RejoinQuietMs = RejoinQuietMs,
    }.EffectiveRejoinQuietMs;

    public ClusterMember Self
    {
        get
        {
            foreach (ClusterMember m in Members)
            {
                if (m.Id == NodeId) return m;
            }
            throw new InvalidOperationException($"Cluster:NodeId {NodeId} is not one of Cluster:Members");
        }
    }

    public ClusterMember? Member(int id)
    {
        foreach (ClusterMember m in Members)
        {
            if (m.Id == id) return m;
        }
        return null;
    }

    public void Validate()
    {
        if (Members is null || Members.Count is not (1 or 3 or 5))
            throw new ArgumentException("Cluster:Members must list 1, 3 or 5 replicas", nameof(Members));
        var ids = new HashSet<int>();
        foreach (ClusterMember m in Members)
        {
            if (m is null) throw new ArgumentException("Cluster:Members has an empty entry", nameof(Members));
            if (m.Id is < 0 or > ushort.MaxValue) throw new ArgumentException($"Cluster:Members: id {m.Id} is outside 0..65535", nameof(Members));
            if (!ids.Add(m.Id)) throw new ArgumentException($"Cluster:Members: id {m.Id} is listed twice", nameof(Members));
            if (string.IsNullOrWhiteSpace(m.Host) || m.Host.Length > 255) throw new ArgumentException($"Cluster:Members:{m.Id}: Host must be 1..255 characters", nameof(Members));
            if (m.ClientPort is < 1 or > 65535 && m.Id != NodeId) throw new ArgumentException($"Cluster:Members:{m.Id}: ClientPort must be 1..65535", nameof(Members));
            if (m.ReplicationPort is < 0 or > 65535 || (m.ReplicationPort == 0 && m.Id != NodeId))
                throw new ArgumentException($"Cluster:Members:{m.Id}: ReplicationPort must be 1..65535", nameof(Members));
            if (m.HttpPort is < 0 or > 65535) throw new ArgumentException($"Cluster:Members:{m.Id}: HttpPort must be 1..65535, or 0 when not published", nameof(Members));
        }
        if (!ids.Contains(NodeId)) throw new ArgumentException($"Cluster:NodeId {NodeId} is not one of Cluster:Members", nameof(NodeId));
        if (RejoinAfterDataLoss && Members.Count == 1)
            throw new ArgumentException("Cluster:RejoinAfterDataLoss needs 3 or 5 replicas: a single replica has nobody to catch up from", nameof(RejoinAfterDataLoss));
        if (RejoinQuietMs is < -1 or > 3_600_000) throw new ArgumentOutOfRangeException(nameof(RejoinQuietMs), RejoinQuietMs, "Cluster:RejoinQuietMs must be -1 (automatic) or 0..3600000");
        if (ElectionTimeoutMs is < 10 or > 60_000) throw new ArgumentOutOfRangeException(nameof(ElectionTimeoutMs), ElectionTimeoutMs, "Cluster:ElectionTimeoutMs must be 10..60000");
        if (HeartbeatIntervalMs < 1 || HeartbeatIntervalMs * 2 > ElectionTimeoutMs)
            throw new ArgumentOutOfRangeException(nameof(HeartbeatIntervalMs), HeartbeatIntervalMs, "Cluster:HeartbeatIntervalMs must be 1..ElectionTimeoutMs/2");
        if (IdleWaitMs is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(IdleWaitMs), IdleWaitMs, "Cluster:IdleWaitMs must be 1..100");
        if (RetainMarginEntries is < 0 or > 1L << 40) throw new ArgumentOutOfRangeException(nameof(RetainMarginEntries), RetainMarginEntries, "Cluster:RetainMarginEntries must be 0..2^40");
        if (SnapshotChunkBytes is < 1024 or > 16 << 20) throw new ArgumentOutOfRangeException(nameof(SnapshotChunkBytes), SnapshotChunkBytes, "Cluster:SnapshotChunkBytes must be 1 KiB..16 MiB");
        if (MaxSnapshotBytes is < 1 << 20 or > 1L << 40) throw new ArgumentOutOfRangeException(nameof(MaxSnapshotBytes), MaxSnapshotBytes, "Cluster:MaxSnapshotBytes must be 1 MiB..1 TiB");
        CheckPowerOfTwo(MaxPendingProposals, nameof(MaxPendingProposals), 1 << 22);
        CheckPowerOfTwo(MaxPendingQueries, nameof(MaxPendingQueries), 1 << 20);
        ArgumentNullException.ThrowIfNull(Transport);
        Transport.Validate();
    }

    private static void CheckPowerOfTwo(int value, string name, int max)
    {
        if (value < 2 || value > max || (value & (value - 1)) != 0)
            throw new ArgumentOutOfRangeException(name, value, $"Cluster:{name} must be a power of two in 2..{max}");
    }
}
