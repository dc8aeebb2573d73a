namespace Wallet.Replication.Cluster;

/// <summary>Snapshot catch-up and journal retention figures a <see cref="ConsensusAgent"/> mirrors for monitoring.</summary>
public enum SnapshotGauge
{
    /// <summary>First index still held by this replica's log (1 until retention or an installed snapshot moved it).</summary>
    LogFirstIndex = 0,
    /// <summary>Leader: snapshot transfers started to followers the log could not serve.</summary>
    TransfersStarted = 1,
    /// <summary>Leader: transfers a follower confirmed installed.</summary>
    TransfersCompleted = 2,
    /// <summary>Leader: transfers restarted (lost chunks, a follower restart, a failed verification).</summary>
    TransferRestarts = 3,
    /// <summary>Follower: snapshots received, verified and installed.</summary>
    Installed = 4,
    /// <summary>Follower: received snapshots that failed verification.</summary>
    Rejected = 5,
    /// <summary>Leader: a follower needed entries neither the log nor a snapshot covers (must stay 0).</summary>
    Required = 6,
    /// <summary>Number of gauges.</summary>
    Count = 7,
}
