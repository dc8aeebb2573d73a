using Wallet.Engine.Journal;
using Wallet.Engine.Partition;

namespace Wallet.Saga;

/// <summary>Configuration of a <see cref="SagaCoordinator"/>.</summary>
public sealed class SagaCoordinatorOptions
{
    public const string JournalPrefix = "saga";

    /// <summary>File prefix of the sequencer's snapshots (saga-state-&lt;index&gt;.snap, beside its journal).</summary>
    public const string SnapshotPrefix = "saga-state";

    /// <summary>Where the sequencer's journal lives (its own directory: it is its own group).</summary>
    public required string DataDirectory { get; init; }

    public required SagaOptions Saga { get; init; }

    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Batch;

    public long JournalSegmentSizeBytes { get; init; } = 64L << 20;

    /// <summary>Submissions and step answers waiting for the driver (power of two).</summary>
    public int InboxSize { get; init; } = 1 << 16;

    /// <summary>Unanswered steps are resent (same ids) after this long.</summary>
    public long RetryIntervalNs { get; init; } = 250_000_000;

    /// <summary>Sagas whose steps are resent per retry round at most (oldest first): retries never swamp a slow partition.</summary>
    public int MaxRetriedSagasPerRound { get; init; } = 1024;

    /// <summary>A Tick (deadlines) is journaled this often while sagas are open.</summary>
    public long TickIntervalNs { get; init; } = 20_000_000;

    /// <summary>Session id the coordinator's partition commands carry; results with it are the coordinator's.</summary>
    public long SessionId { get; init; } = long.MinValue + 0x5A6A;

    /// <summary>Step transfers per partition command at most.</summary>
    public int MaxStepsPerCommand { get; init; } = 1024;

    /// <summary>Steps remembered per partition to match answers to steps (power of two, ≫ steps in flight).</summary>
    public int StepRingSize { get; init; } = 1 << 20;

    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>
    /// A snapshot of the saga table is written every this many journal commands (0 = never). A restart then loads the
    /// newest valid snapshot and replays only the journal after it, instead of the whole journal from genesis.
    /// </summary>
    public long SnapshotEveryCommands { get; init; } = 65_536;

    /// <summary>Snapshots kept (newest first); older ones are deleted once a new one is durable.</summary>
    public int SnapshotRetainCount { get; init; } = 3;

    /// <summary>
    /// <see cref="JournalRetention.KeepAll"/> (default) keeps every segment of the sequencer's journal;
    /// <see cref="JournalRetention.BeforeOldestSnapshot"/> deletes segments that only hold commands at or below the
    /// oldest retained snapshot, bounding the journal's size (its history before that snapshot is then gone).
    /// </summary>
    public JournalRetention JournalRetention { get; init; } = JournalRetention.KeepAll;

    /// <summary>Tests only: steps for which this returns false are never sent (to stop a saga at a chosen point).</summary>
    internal Func<SagaStep, bool>? SendFilter { get; init; }

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory);
        ArgumentNullException.ThrowIfNull(Saga);
        Saga.Validate();
        if (InboxSize < 64 || (InboxSize & (InboxSize - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(InboxSize), InboxSize, "a power of two ≥ 64");
        if (StepRingSize < 1024 || (StepRingSize & (StepRingSize - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(StepRingSize), StepRingSize, "a power of two ≥ 1024");
        if (RetryIntervalNs <= 0) throw new ArgumentOutOfRangeException(nameof(RetryIntervalNs));
        if (TickIntervalNs <= 0) throw new ArgumentOutOfRangeException(nameof(TickIntervalNs));
        if (MaxRetriedSagasPerRound < 1) throw new ArgumentOutOfRangeException(nameof(MaxRetriedSagasPerRound));
        if (MaxStepsPerCommand is < 1 or > 8190) throw new ArgumentOutOfRangeException(nameof(MaxStepsPerCommand));
        if (SnapshotEveryCommands < 0) throw new ArgumentOutOfRangeException(nameof(SnapshotEveryCommands), SnapshotEveryCommands, "≥ 0 (0 = never)");
        if (SnapshotRetainCount is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(SnapshotRetainCount), SnapshotRetainCount, "1..100");
        if (JournalRetention == JournalRetention.BeforeOldestSnapshot && SnapshotEveryCommands == 0)
            throw new ArgumentException("JournalRetention BeforeOldestSnapshot needs snapshots (SnapshotEveryCommands > 0)", nameof(JournalRetention));
    }
}
