namespace Wallet.Engine.ReadModel;

/// <summary>Configuration of the read-model projector. Validated by <see cref="Validate"/>.</summary>
public sealed class ReadModelOptions
{
    /// <summary>Records (commands) per RocksDB write batch at most: bounds the memory of one batch.</summary>
    public int MaxRecordsPerBatch { get; init; } = 4096;
    /// <summary>
    /// Event entries per write batch at most (a batch closes at whichever limit comes first). Larger batches make
    /// history chunks pay more (rows of one account in one batch share one put) but cost memory: two batches are
    /// held at once (one collected, one written), about 0.8 KB per event each (managed rows + native batch), so
    /// 65,536 events ≈ 100 MB in all
    /// (docs/BENCHMARKS.md §6c measured 65,536 and 262,144 alike on 100k accounts).
    /// </summary>
    public int MaxEventsPerBatch { get; init; } = 65_536;
    /// <summary>How long the projector sleeps when it has caught up, before it looks at the journal again.</summary>
    public int IdleWaitMs { get; init; } = 2;
    /// <summary>After a failure (I/O, a missing segment) the projector waits this long, then resumes from its checkpoint.</summary>
    public int FaultRetryMs { get; init; } = 1000;
    /// <summary>
    /// The view is written without a write-ahead log (it is derived data); at most this long after a change the
    /// projector flushes it to disk, so that read-only openers (the CLI on a live node) and a restart after a crash see
    /// it. Between flushes, in-process queries see everything.
    /// </summary>
    public int FlushIntervalMs { get; init; } = 5000;

    /// <summary>
    /// How batches reach RocksDB: ingested SST files (default; docs/BENCHMARKS.md §6d) or memtable write batches.
    /// </summary>
    public ReadModelWritePath WritePath { get; init; } = ReadModelWritePath.Ingest;

    public void Validate()
    {
        if (MaxRecordsPerBatch is < 1 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(MaxRecordsPerBatch), MaxRecordsPerBatch, "1..1048576");
        if (MaxEventsPerBatch is < 1 or > 1 << 22) throw new ArgumentOutOfRangeException(nameof(MaxEventsPerBatch), MaxEventsPerBatch, "1..4194304");
        if (IdleWaitMs is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(IdleWaitMs), IdleWaitMs, "1..1000 ms");
        if (FlushIntervalMs is < 10 or > 3_600_000) throw new ArgumentOutOfRangeException(nameof(FlushIntervalMs), FlushIntervalMs, "10..3600000 ms");
        if (!Enum.IsDefined(WritePath)) throw new ArgumentOutOfRangeException(nameof(WritePath), WritePath, "Ingest or WriteBatch");
        if (FaultRetryMs is < 1 or > 600_000) throw new ArgumentOutOfRangeException(nameof(FaultRetryMs), FaultRetryMs, "1..600000 ms");
    }
}
