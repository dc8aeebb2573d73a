namespace Wallet.Replication;

/// <summary>Monotonic counters of one <see cref="RaftNode"/>, for metrics and tests. Read on the node's thread.</summary>
public sealed class RaftCounters
{
    /// <summary>Messages decoded and handled.</summary>
    public long MessagesReceived { get; internal set; }

    /// <summary>Messages handed to the outbox.</summary>
    public long MessagesSent { get; internal set; }

    /// <summary>Messages dropped because they failed validation (short, wrong schema, unknown template, bad fields, unknown sender).</summary>
    public long MalformedMessages { get; internal set; }

    /// <summary>Messages that contradict the protocol from a well-formed peer (e.g. a second leader in one term). Should stay 0.</summary>
    public long ProtocolViolations { get; internal set; }

    /// <summary>Messages ignored by a rejoining replica during its quiet period (<see cref="RaftOptions.RejoinQuietMs"/>).</summary>
    public long RejoinQuietIgnored { get; internal set; }

    /// <summary>Pre-vote rounds started.</summary>
    public long PreVotesStarted { get; internal set; }

    /// <summary>Elections (term increments by this node) started.</summary>
    public long ElectionsStarted { get; internal set; }

    /// <summary>Times this node became leader.</summary>
    public long Leaderships { get; internal set; }

    /// <summary>Times a leader stepped down because it lost contact with a majority.</summary>
    public long CheckQuorumStepDowns { get; internal set; }

    /// <summary>Vote requests ignored because this node was inside a live leader's lease.</summary>
    public long VotesIgnoredInLease { get; internal set; }

    /// <summary>Entries appended from the leader.</summary>
    public long EntriesReceived { get; internal set; }

    /// <summary>Entries sent to followers (re-sends included).</summary>
    public long EntriesSent { get; internal set; }

    /// <summary>Conflicting suffixes truncated on this follower.</summary>
    public long Truncations { get; internal set; }

    /// <summary>
    /// Times the leader could not serve a follower because the entries it needs precede this log (compacted away) and
    /// no snapshot could be sent instead (no snapshot store, none held, or the newest one does not reach the log). Should stay 0.
    /// </summary>
    public long SnapshotRequired { get; internal set; }

    /// <summary>Leader: snapshot transfers started (a follower needed entries this log no longer holds).</summary>
    public long SnapshotTransfersStarted { get; internal set; }

    /// <summary>Leader: snapshot transfers a follower confirmed installed.</summary>
    public long SnapshotTransfersCompleted { get; internal set; }

    /// <summary>Leader: transfers restarted (follower asked to resend from an offset, or no progress for ResendTimeoutMs).</summary>
    public long SnapshotTransferRestarts { get; internal set; }

    /// <summary>Snapshot chunks sent (re-sends included).</summary>
    public long SnapshotChunksSent { get; internal set; }

    /// <summary>Follower: snapshots received, verified and installed.</summary>
    public long SnapshotsInstalled { get; internal set; }

    /// <summary>Follower: received snapshots that failed verification (or could not be written) and were discarded.</summary>
    public long SnapshotsRejected { get; internal set; }

    /// <summary>Streams restarted after a rejection or resend timeout.</summary>
    public long StreamResets { get; internal set; }
}
