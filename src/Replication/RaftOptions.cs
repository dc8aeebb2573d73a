namespace Wallet.Replication;

/// <summary>
/// Static configuration of one <see cref="RaftNode"/>. Every replica of a partition must use the same
/// <see cref="Members"/> and the same timing options. Times are in milliseconds of the driver's clock.
/// </summary>
public sealed class RaftOptions
{
    /// <summary>Largest consensus message the node ever writes (and accepts): 1 MiB.</summary>
    public const int DefaultMaxMessageBytes = 1 << 20;

    /// <summary>Bytes of an AppendEntries message around its entries blob (SBE header + block + blob length).</summary>
    public const int AppendEntriesOverheadBytes = 64;

    /// <summary>Bytes in front of each entry in the AppendEntries blob (type, reserved, length, term, timestamp).</summary>
    public const int EntryHeaderBytes = 24;

    /// <summary>This replica's id; one of <see cref="Members"/>.</summary>
    public required int NodeId { get; init; }

    /// <summary>All replica ids of the partition, this one included: 1, 3 or 5 distinct ids in [0, 65535].</summary>
    public required IReadOnlyList<int> Members { get; init; }

    /// <summary>
    /// Base election timeout: a follower that hears no leader for a random time in [ElectionTimeoutMs, 2 × ElectionTimeoutMs)
    /// starts a (pre-)election; a leader that hears from no majority for ElectionTimeoutMs steps down (CheckQuorum).
    /// </summary>
    public int ElectionTimeoutMs { get; init; } = 300;

    /// <summary>How often an idle leader sends heartbeats (empty AppendEntries carrying the commit index).</summary>
    public int HeartbeatIntervalMs { get; init; } = 50;

    /// <summary>An unacknowledged stream (or probe) to a follower is restarted from its acknowledged position after this long.</summary>
    public int ResendTimeoutMs { get; init; } = 100;

    /// <summary>Pre-vote (Raft thesis §9.6): a node campaigns only if a majority would vote for it, so a rejoining node cannot disrupt a healthy leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader that cannot hear from a majority for an election timeout steps down (and voters inside a leader's lease ignore campaigns).</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Largest encoded consensus message, sent or accepted.</summary>
    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary>Bytes of entries sent to one follower and not yet acknowledged (the pipelining window).</summary>
    public int MaxInFlightBytesPerFollower { get; init; } = 8 << 20;

    /// <summary>Largest entry payload accepted by <see cref="RaftNode.Propose"/> and on the wire.</summary>
    public int MaxEntryPayloadBytes { get; init; } = (1 << 20) - AppendEntriesOverheadBytes - EntryHeaderBytes;

    /// <summary>Most entries in one AppendEntries message.</summary>
    public int MaxEntriesPerMessage { get; init; } = 4096;

    /// <summary>
    /// InstallSnapshot: bytes of snapshot file per chunk message (the pipelining window is
    /// <see cref="MaxInFlightBytesPerFollower"/>, as for entries). At most MaxMessageBytes minus the message overhead.
    /// </summary>
    public int SnapshotChunkBytes { get; init; } = 256 << 10;

    /// <summary>The chunk size actually used: <see cref="SnapshotChunkBytes"/>, capped so a chunk message fits MaxMessageBytes.</summary>
    public int EffectiveSnapshotChunkBytes => Math.Min(SnapshotChunkBytes, MaxMessageBytes - InstallSnapshotOverheadBytes);

    /// <summary>
    /// InstallSnapshot, leader: at most this many snapshot bytes are read from disk for one follower per
    /// <see cref="RaftNode.Flush"/> (at least one chunk). The reads run on the consensus thread, which also commits every
    /// client's entries: on a cold page cache a whole in-flight window (<see cref="MaxInFlightBytesPerFollower"/>, 8 MiB)
    /// read in one go would stall commits for tens of ms; a budget of a few chunks keeps each stall to a few ms while the
    /// window still refills as the follower acknowledges (each answer triggers a Flush).
    /// </summary>
    public int SnapshotReadBytesPerFlush { get; init; } = 1 << 20;

    /// <summary>InstallSnapshot: largest snapshot file a leader sends or a follower accepts (a follower's disk bound).</summary>
    public long MaxSnapshotBytes { get; init; } = 16L << 30;

    /// <summary>Bytes of an InstallSnapshot message around its data (SBE header + block + data length).</summary>
    public const int InstallSnapshotOverheadBytes = 96;

    /// <summary>
    /// This replica lost its data (empty log and hard state after a disk loss or a replaced machine): it starts as a
    /// non-voting catch-up member — no campaign, every vote and pre-vote refused, the first leader of a term recorded as
    /// its vote in that term — until it is durably caught up past everything it may have acknowledged before the loss
    /// (docs/REPLICATION.md, "Rejoining after data loss"). Off by default; never on a single-member group (nothing to
    /// catch up from), and only with <see cref="CheckQuorum"/> (the argument relies on stale leaders stepping down).
    /// In memory only: a restart with the option still set repeats the catch-up, which is harmless.
    /// </summary>
    public bool RejoinAfterDataLoss { get; init; }

    /// <summary>
    /// With <see cref="RejoinAfterDataLoss"/>: for this long after it starts the replica ignores every consensus message
    /// and sends none — it stays "down" — so the rejoin argument's assumption holds however quickly it was restarted: a
    /// leader or a campaign that relied on its forgotten state has stepped down or ended before it follows anyone
    /// (docs/REPLICATION.md, "Rejoining after data loss"). -1 (default): <see cref="AutoRejoinQuietMs"/>; 0: no wait
    /// (the operator vouches that the replica was down long enough).
    /// </summary>
    public int RejoinQuietMs { get; init; } = -1;

    /// <summary>The network's worst one-way delay the automatic quiet period allows for.</summary>
    public const int RejoinQuietDelayAllowanceMs = 1_000;

    /// <summary>
    /// The automatic quiet period: 4 × <see cref="ElectionTimeoutMs"/> (twice the longest randomized election timeout,
    /// within which CheckQuorum deposes a stale leader and a campaign ends) plus <see cref="RejoinQuietDelayAllowanceMs"/>.
    /// </summary>
    public int AutoRejoinQuietMs => 4 * ElectionTimeoutMs + RejoinQuietDelayAllowanceMs;

    /// <summary>The quiet period in force: 0 without <see cref="RejoinAfterDataLoss"/>.</summary>
    public int EffectiveRejoinQuietMs => !RejoinAfterDataLoss ? 0 : RejoinQuietMs < 0 ? AutoRejoinQuietMs : RejoinQuietMs;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Members is null || (Members.Count != 1 && Members.Count != 3 && Members.Count != 5))
        {
            throw new ArgumentException("RaftOptions.Members must list 1, 3 or 5 replicas.", nameof(Members));
        }

        var found = false;
        for (var i = 0; i < Members.Count; i++)
        {
            var id = Members[i];
            if (id < 0 || id > ushort.MaxValue) throw new ArgumentException($"RaftOptions.Members: id {id} is outside [0, 65535].", nameof(Members));
            for (var j = 0; j < i; j++)
            {
                if (Members[j] == id) throw new ArgumentException($"RaftOptions.Members: id {id} is listed twice.", nameof(Members));
            }

            found |= id == NodeId;
        }

        if (!found) throw new ArgumentException($"RaftOptions.NodeId {NodeId} is not one of Members.", nameof(NodeId));
        if (ElectionTimeoutMs < 2 || ElectionTimeoutMs > 600_000) throw new ArgumentException("RaftOptions.ElectionTimeoutMs must be in [2, 600000].", nameof(ElectionTimeoutMs));
        if (HeartbeatIntervalMs < 1 || HeartbeatIntervalMs >= ElectionTimeoutMs)
            throw new ArgumentException("RaftOptions.HeartbeatIntervalMs must be at least 1 and below ElectionTimeoutMs.", nameof(HeartbeatIntervalMs));
        if (ResendTimeoutMs < 1) throw new ArgumentException("RaftOptions.ResendTimeoutMs must be positive.", nameof(ResendTimeoutMs));
        if (MaxMessageBytes < 1024 || MaxMessageBytes > 16 << 20) throw new ArgumentException("RaftOptions.MaxMessageBytes must be in [1 KiB, 16 MiB].", nameof(MaxMessageBytes));
        if (MaxEntryPayloadBytes < 0 || MaxEntryPayloadBytes > MaxMessageBytes - AppendEntriesOverheadBytes - EntryHeaderBytes)
            throw new ArgumentException("RaftOptions.MaxEntryPayloadBytes must fit one AppendEntries message.", nameof(MaxEntryPayloadBytes));
        if (MaxInFlightBytesPerFollower < MaxMessageBytes)
            throw new ArgumentException("RaftOptions.MaxInFlightBytesPerFollower must be at least MaxMessageBytes.", nameof(MaxInFlightBytesPerFollower));
        if (MaxEntriesPerMessage < 1 || MaxEntriesPerMessage > 65536)
            throw new ArgumentException("RaftOptions.MaxEntriesPerMessage must be in [1, 65536].", nameof(MaxEntriesPerMessage));
        if (SnapshotChunkBytes < 64 || SnapshotChunkBytes > 16 << 20)
            throw new ArgumentException("RaftOptions.SnapshotChunkBytes must be in [64, 16 MiB].", nameof(SnapshotChunkBytes));
        if (MaxSnapshotBytes < 1024 || MaxSnapshotBytes > 1L << 40)
            throw new ArgumentException("RaftOptions.MaxSnapshotBytes must be in [1 KiB, 1 TiB].", nameof(MaxSnapshotBytes));
        if (RejoinAfterDataLoss && Members.Count == 1)
            throw new ArgumentException("RaftOptions.RejoinAfterDataLoss needs 3 or 5 members: a single replica has nobody to catch up from.", nameof(RejoinAfterDataLoss));
        if (SnapshotReadBytesPerFlush < 1 || SnapshotReadBytesPerFlush > 1 << 30)
            throw new ArgumentException($"RaftOptions.SnapshotReadBytesPerFlush {SnapshotReadBytesPerFlush} must be in [1, 2^30].", nameof(SnapshotReadBytesPerFlush));
        if (RejoinQuietMs < -1 || RejoinQuietMs > 3_600_000)
            throw new ArgumentException($"RaftOptions.RejoinQuietMs {RejoinQuietMs} must be -1 (automatic) or in [0, 3600000].", nameof(RejoinQuietMs));
        if (RejoinAfterDataLoss && !CheckQuorum)
            throw new ArgumentException("RaftOptions.RejoinAfterDataLoss requires CheckQuorum (a leader cut off from its majority must step down).", nameof(RejoinAfterDataLoss));
    }
}
