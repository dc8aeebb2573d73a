using Wallet.Engine.Journal;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Replicated;

/// <summary>One replica of the saga sequencer's own replicated group (membership and Raft timings come in a ClusterOptions).</summary>
public sealed class SagaReplicaOptions
{
    /// <summary>Journal (the group's Raft log), hard state and snapshots of this replica.</summary>
    public required string DataDirectory { get; init; }

    public required SagaOptions Saga { get; init; }

    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Batch;

    public long JournalSegmentSizeBytes { get; init; } = 64L << 20;

    /// <summary>Submissions and step answers waiting for the replica's thread (power of two).</summary>
    public int InboxSize { get; init; } = 1 << 16;

    /// <summary>A step unanswered this long is resent (same id: applied once).</summary>
    public long RetryIntervalNs { get; init; } = 250_000_000;

    public int MaxRetriedSagasPerRound { get; init; } = 1024;

    /// <summary>While sagas are open, the leader proposes a Tick this often (deterministic step deadlines).</summary>
    public long TickIntervalNs { get; init; } = 20_000_000;

    /// <summary>Every replica snapshots its saga table after this many applied commands (0 = never).</summary>
    public long SnapshotEveryCommands { get; init; } = 65_536;

    public int SnapshotRetainCount { get; init; } = 3;

    /// <summary>
    /// KeepAll, or BeforeOldestSnapshot: log segments below the oldest retained snapshot (minus
    /// <see cref="RetainMarginEntries"/>) are deleted; a follower further behind is sent a snapshot.
    /// </summary>
    public JournalRetention JournalRetention { get; init; } = JournalRetention.KeepAll;

    public long RetainMarginEntries { get; init; } = 100_000;

    /// <summary>The leader's stamps (the machine never reads a clock).</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory);
        ArgumentNullException.ThrowIfNull(Saga);
        Saga.Validate();
        if (InboxSize < 64 || (InboxSize & (InboxSize - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(InboxSize), InboxSize, "a power of two ≥ 64");
        if (RetryIntervalNs <= 0) throw new ArgumentOutOfRangeException(nameof(RetryIntervalNs));
        if (TickIntervalNs <= 0) throw new ArgumentOutOfRangeException(nameof(TickIntervalNs));
        if (MaxRetriedSagasPerRound < 1) throw new ArgumentOutOfRangeException(nameof(MaxRetriedSagasPerRound));
        if (SnapshotEveryCommands < 0) throw new ArgumentOutOfRangeException(nameof(SnapshotEveryCommands), SnapshotEveryCommands, "≥ 0 (0 = never)");
        if (SnapshotRetainCount is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(SnapshotRetainCount), SnapshotRetainCount, "1..100");
        if (RetainMarginEntries < 0) throw new ArgumentOutOfRangeException(nameof(RetainMarginEntries));
        if (JournalRetention == JournalRetention.BeforeOldestSnapshot && SnapshotEveryCommands == 0)
            throw new ArgumentException("JournalRetention BeforeOldestSnapshot needs snapshots (SnapshotEveryCommands > 0)", nameof(JournalRetention));
    }
}
