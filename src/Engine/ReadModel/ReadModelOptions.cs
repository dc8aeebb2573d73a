namespace Wallet.Engine.ReadModel;

/// <summary>Configuration of the read-model projector. Validated by <see cref="Validate"/>.</summary>
public sealed class ReadModelOptions
{
    /// <summary>
    /// Records (commands) per write batch at most. Each batch costs a fixed ~20 ms of files, ingestion and checkpoint
    /// whatever it holds, so with one transfer per command (the SDK's single transfers) a limit of 4,096 made the view
    /// ingest 4,096 events at a time: 262k events/s against 952k at 262,144 (docs/BENCHMARKS.md §30). A record adds one
    /// time-index key (≈ 50 B) to the batch; the event limit bounds the rest.
    /// </summary>
    public int MaxRecordsPerBatch { get; init; } = 262_144;
    /// <summary>
    /// Event entries per write batch at most (a batch closes at whichever limit comes first). A batch is one set of
    /// ingested SST files whose history part spans every account it touches, so each batch is one more L0 file that
    /// compaction must merge into the whole history; larger batches mean fewer, larger merges and more rows per history
    /// chunk (rows of one account in one batch share one key). 262,144 instead of 65,536: apply +47–50 % at 8M
    /// transfers, CPU until compactions settle −30 % (docs/BENCHMARKS.md §30). The price is memory: two batches are
    /// held at once (one collected, one written), about 0.45 KB per event each (two 136-byte history rows, the
    /// transfer row, their index), so 262,144 events ≈ 250 MB in all; buffers are sized for the limit
    /// (<see cref="BufferGrowth"/>), reached once and then reused.
    /// </summary>
    public int MaxEventsPerBatch { get; init; } = 262_144;
    /// <summary>
    /// History rows per history epoch, about (a new epoch starts with the first write batch after this many rows; see
    /// <see cref="ReadModelKeys"/>). Compaction merges each batch's history into the epoch being filled only, so its
    /// cost per event is that of a view of one epoch, whatever the view's size. The price is on reads of idle accounts:
    /// a query seeks once more per epoch it passes in which the account has no row. 4,194,304 rows ≈ 2M transfers
    /// ≈ 200 MB of history: at 20M transfers the apply rose from 0.82–0.90M to 1.13M events/s and the CPU until
    /// compactions settle fell by a third; 1,048,576 rows gave 1.34M (docs/BENCHMARKS.md §40).
    /// </summary>
    public int HistoryEpochRows { get; init; } = 1 << 22;
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
    /// <summary>
    /// On the ingest path, batches of fewer events than this are written to the memtable instead (0: ingest every
    /// batch). Why: a caught-up projector commits whatever arrived while the previous batch was written, and under a
    /// live stream of small commands that is a few hundred events; ingesting each as files cost a fixed ~20 ms and one
    /// L0 file per batch, and at 20,000 single transfers/s the view fell 1.7 s behind (mean 0.4 s) where the memtable
    /// keeps it within 0.2 s (docs/BENCHMARKS.md §31). Catch-up and bulk batches stay on the ingest path.
    /// </summary>
    public int IngestMinEvents { get; init; } = 16_384;

    public void Validate()
    {
        if (MaxRecordsPerBatch is < 1 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(MaxRecordsPerBatch), MaxRecordsPerBatch, "1..1048576");
        if (MaxEventsPerBatch is < 1 or > 1 << 22) throw new ArgumentOutOfRangeException(nameof(MaxEventsPerBatch), MaxEventsPerBatch, "1..4194304");
        if (IdleWaitMs is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(IdleWaitMs), IdleWaitMs, "1..1000 ms");
        if (FlushIntervalMs is < 10 or > 3_600_000) throw new ArgumentOutOfRangeException(nameof(FlushIntervalMs), FlushIntervalMs, "10..3600000 ms");
        if (HistoryEpochRows is < 1 or > 1 << 30) throw new ArgumentOutOfRangeException(nameof(HistoryEpochRows), HistoryEpochRows, "1..1073741824");
        if (IngestMinEvents is < 0 or > 1 << 22) throw new ArgumentOutOfRangeException(nameof(IngestMinEvents), IngestMinEvents, "0..4194304");
        if (!Enum.IsDefined(WritePath)) throw new ArgumentOutOfRangeException(nameof(WritePath), WritePath, "Ingest or WriteBatch");
        if (FaultRetryMs is < 1 or > 600_000) throw new ArgumentOutOfRangeException(nameof(FaultRetryMs), FaultRetryMs, "1..600000 ms");
    }
}
