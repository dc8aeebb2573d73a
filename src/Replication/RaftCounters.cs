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
    /// Times the leader could not serve a follower because the entries it needs precede this log (compacted away).
    /// Snapshot installation is not implemented: keep the whole journal (JournalRetention.KeepAll) in cluster mode.
    /// </summary>
    public long SnapshotRequired { get; internal set; }

    /// <summary>Streams restarted after a rejection or resend timeout.</summary>
    public long StreamResets { get; internal set; }
}
