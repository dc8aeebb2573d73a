using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Ring;

namespace Wallet.Engine.Partition;

/// <summary>How the partition's threads wait for work. See docs/ARCHITECTURE.md, "Ring buffer".</summary>
public enum WaitKind
{
    /// <summary>Lowest latency; burns a core per waiting thread. Only with spare cores.</summary>
    BusySpin,
    /// <summary>Spins briefly then yields: low latency, gives the core away under contention.</summary>
    Yielding,
    /// <summary>Spins, yields, then sleeps: low CPU when idle, higher wake-up latency.</summary>
    Sleeping,
    /// <summary>Lock + condition variable: lowest CPU, highest latency. The default for servers on small boxes and for tests.</summary>
    Blocking,
    /// <summary>Spins, then yields, for short budgets after each batch, then blocks: blocking's idle cost, far fewer sleeps and wake-ups at steady rates.</summary>
    Phased,
}

/// <summary>Configuration of one partition (one BLP, its journals and snapshots). Validated by <see cref="Validate"/>.</summary>
public sealed class PartitionOptions
{
    public const int MaxRingSize = 1 << 20;

    /// <summary>Where this partition keeps its journals and snapshots.</summary>
    public required string DataDirectory { get; init; }
    /// <summary>
    /// This partition's number on its node (0 for a single partition). Carried by every result
    /// (<see cref="ResultSlot.Partition"/>) so that a gateway handed a "not the leader" result redirects the client to
    /// the leader of this partition, not of another. Not part of any state.
    /// </summary>
    public int PartitionId { get; init; }
    public required LedgerOptions Ledger { get; init; }
    /// <summary>Ingress ring capacity in commands (power of two). A full ring answers Busy.</summary>
    public int IngressRingSize { get; init; } = 4096;
    /// <summary>Egress ring capacity in results (power of two).</summary>
    public int EgressRingSize { get; init; } = 4096;
    /// <summary>Largest command payload accepted (bytes). 8190 transfers of 128 bytes fit in the default.</summary>
    public int MaxCommandBytes { get; init; } = 1 << 20;
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Batch;
    public long JournalSegmentSizeBytes { get; init; } = 64L << 20;
    /// <summary>Pre-fault window of both journals (<see cref="JournalOptions.PrefaultAheadBytes"/>); 0 = off.</summary>
    public long JournalPrefaultAheadBytes { get; init; } = JournalOptions.DefaultPrefaultAheadBytes;

    /// <summary>Both journals: records this large or larger are written with one pwrite (<see cref="JournalOptions.StagedWriteMinRecordBytes"/>); 0 = never.</summary>
    public int JournalStagedWriteMinBytes { get; init; } = JournalOptions.DefaultStagedWriteMinRecordBytes;

    /// <summary>Both journals: page-cache window kept behind the writer (<see cref="JournalOptions.PageCacheKeepBytes"/>); 0 = keep all.</summary>
    public long JournalPageCacheKeepBytes { get; init; } = JournalOptions.DefaultPageCacheKeepBytes;
    /// <summary>Write the derived event journal (the read model's source). Off only for benchmarks that isolate the BLP.</summary>
    public bool EventJournal { get; init; } = true;
    /// <summary>Take a snapshot every this many log indexes (0 = only on demand). Deterministic: every replica snapshots at the same indexes.</summary>
    public long SnapshotIntervalCommands { get; init; } = 1_000_000;
    public int SnapshotRetainCount { get; init; } = 3;
    /// <summary>Whether journal segments covered by the oldest retained snapshot are deleted. Default: keep all.</summary>
    public JournalRetention JournalRetention { get; init; } = JournalRetention.KeepAll;
    /// <summary>Max events a consumer takes before it reports a batch end (bounds group-commit size).</summary>
    public int MaxBatchSize { get; init; } = 4096;
    public WaitKind Wait { get; init; } = WaitKind.Blocking;
    /// <summary><see cref="WaitKind.Phased"/>: how long a stage thread spins after its last batch before yielding (ns).</summary>
    public int WaitSpinNs { get; init; } = PhasedBackoffWaitStrategy.DefaultSpinNs;
    /// <summary><see cref="WaitKind.Phased"/>: how long it then yields before it blocks (ns).</summary>
    public int WaitYieldNs { get; init; } = PhasedBackoffWaitStrategy.DefaultYieldNs;
    /// <summary>The term stamped on commands in single-node mode.</summary>
    public long Term { get; init; } = 1;
    /// <summary>The sequencer's clock. The BLP never reads it.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;
    /// <summary>
    /// Who sequences commands. <see cref="PartitionSequencing.Local"/>: the partition's own sequencer stage stamps,
    /// journals and commits (single node). <see cref="PartitionSequencing.External"/>: a consensus module drives the
    /// partition through <see cref="PartitionEngine.Sequencer"/> and the BLP applies only what it publishes as committed.
    /// </summary>
    public PartitionSequencing Sequencing { get; init; } = PartitionSequencing.Local;
    /// <summary>
    /// External sequencing only: a log index known to be committed (e.g. persisted by the consensus module). Recovery
    /// replays the command journal up to the highest of this, the event journal's end and the snapshot, never
    /// further: entries past it may be uncommitted and could still be replaced by a new leader.
    /// </summary>
    public long CommittedIndexHint { get; init; }
    /// <summary>
    /// Allocate the transfer slab and its id index for the whole idempotency window (+ pending + one batch) at start,
    /// instead of doubling as transfers arrive. Each late doubling copies tens to hundreds of MB on the BLP thread and
    /// leaves the old table to a gen2 collection — a latency spike of tens of ms in the first million transfers. Costs
    /// the memory up front (≈ 170 B × <see cref="LedgerOptions.TransferRetentionCount"/>; 1 Mi → ≈ 190 MB). Off by default
    /// for library users and tests; <c>wallet serve</c> turns it on (Partition:PreallocateTransfers).
    /// </summary>
    public bool PreallocateTransfers { get; init; }
    /// <summary>Cut the command journal at the first corrupt record instead of refusing to start. Discards data: an operator decision.</summary>
    public bool RepairJournal { get; init; }
    /// <summary>
    /// What opening the command journal reads (<see cref="JournalOpenValidation"/>). LastSegment (the default): every
    /// segment's header and the last segment's records; recovery then checks each record it replays as it replays it,
    /// so a restart reads what it applies once, and a restart from a snapshot does not read the journal before it.
    /// AllRecords: the whole journal before anything starts (what <see cref="RepairJournal"/> always uses). Either way
    /// <c>wallet audit verify</c> checks everything. The event journal is always read in full: it repairs itself
    /// (derived records past a bad one are regenerated from commands), which needs every record checked.
    /// </summary>
    public JournalOpenValidation JournalOpenValidation { get; init; } = JournalOpenValidation.LastSegment;
    /// <summary>
    /// How much of the event journal's end a start checks (and repairs) besides its last segment; -1 (the default) =
    /// <see cref="EventJournalRecheck.CheckTailBytes"/> of <see cref="JournalPageCacheKeepBytes"/> (twice the window, at
    /// least 256 MiB). Older event records are checked by the read model's projector as it reads them; a damaged one
    /// makes the next start check the whole event journal (<see cref="EventJournalRecheck"/>). With
    /// <see cref="JournalPageCacheKeepBytes"/> = 0 every start checks the whole event journal.
    /// </summary>
    public long EventJournalCheckTailBytes { get; init; } = -1;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("DataDirectory must be set", nameof(DataDirectory));
        ArgumentOutOfRangeException.ThrowIfNegative(PartitionId);
        ArgumentNullException.ThrowIfNull(Ledger);
        CheckRing(IngressRingSize, nameof(IngressRingSize));
        CheckRing(EgressRingSize, nameof(EgressRingSize));
        if (WaitSpinNs is < 0 or > PhasedBackoffWaitStrategy.MaxBudgetNs) throw new ArgumentOutOfRangeException(nameof(WaitSpinNs), WaitSpinNs, $"0..{PhasedBackoffWaitStrategy.MaxBudgetNs} ns");
        if (WaitYieldNs is < 0 or > PhasedBackoffWaitStrategy.MaxBudgetNs) throw new ArgumentOutOfRangeException(nameof(WaitYieldNs), WaitYieldNs, $"0..{PhasedBackoffWaitStrategy.MaxBudgetNs} ns");
        if (MaxCommandBytes < 128 || MaxCommandBytes > 16 << 20)
            throw new ArgumentOutOfRangeException(nameof(MaxCommandBytes), MaxCommandBytes, "between 128 bytes and 16 MiB");
        if (JournalSegmentSizeBytes < 2L * MaxCommandBytes)
            throw new ArgumentOutOfRangeException(nameof(JournalSegmentSizeBytes), JournalSegmentSizeBytes, $"must hold at least two of the largest commands (2 × MaxCommandBytes = {2L * MaxCommandBytes})");
        int neededCommandBytes = Ledger.MaxBatchSize * Wallet.Engine.Ledger.Transfer.SizeBytes;
        if (MaxCommandBytes < neededCommandBytes)
            throw new ArgumentOutOfRangeException(nameof(MaxCommandBytes), MaxCommandBytes, $"must hold a full batch of {Ledger.MaxBatchSize} transfers ({neededCommandBytes} bytes)");
        if (EventJournalCheckTailBytes < -1) throw new ArgumentOutOfRangeException(nameof(EventJournalCheckTailBytes), EventJournalCheckTailBytes, "-1 (automatic) or a byte count >= 0");
        if (SnapshotIntervalCommands < 0) throw new ArgumentOutOfRangeException(nameof(SnapshotIntervalCommands), SnapshotIntervalCommands, "0 (off) or positive");
        if (SnapshotRetainCount is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(SnapshotRetainCount), SnapshotRetainCount, "between 1 and 1000");
        if (MaxBatchSize is < 1 or > MaxRingSize) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, $"between 1 and {MaxRingSize}");
        if (!Enum.IsDefined(Sequencing)) throw new ArgumentOutOfRangeException(nameof(Sequencing), Sequencing, "Local or External");
        // Under external sequencing (consensus) retention is allowed: the consensus module deletes command segments below
        // the newest snapshot minus its margin, and a replica the log no longer covers is caught up by InstallSnapshot.
        if (CommittedIndexHint < 0) throw new ArgumentOutOfRangeException(nameof(CommittedIndexHint), CommittedIndexHint, "0 or a log index");
        if (Term < 1) throw new ArgumentOutOfRangeException(nameof(Term), Term, "terms start at 1");
        ArgumentNullException.ThrowIfNull(Clock);
    }

    private static void CheckRing(int size, string name)
    {
        if (size < 2 || size > MaxRingSize || (size & (size - 1)) != 0)
            throw new ArgumentOutOfRangeException(name, size, $"a power of two between 2 and {MaxRingSize}");
    }

    internal IWaitStrategy CreateWaitStrategy() => Wait switch
    {
        WaitKind.BusySpin => new BusySpinWaitStrategy(),
        WaitKind.Yielding => new YieldingWaitStrategy(),
        WaitKind.Sleeping => new SleepingWaitStrategy(),
        WaitKind.Phased => new PhasedBackoffWaitStrategy(WaitSpinNs, WaitYieldNs),
        _ => new BlockingWaitStrategy(),
    };
}
