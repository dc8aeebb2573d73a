using System.Diagnostics;
using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Blp;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// The read model (RocksDB). Phases:
/// <list type="bullet">
/// <item>generate: an event journal written exactly as the BLP writes it (state machine + event sink, deterministic
/// stamps), not timed;</item>
/// <item>apply: a fresh view projects the whole journal (<see cref="ReadModelProjector.CatchUp"/>) — events/s,
/// records/s, history rows written, bytes on disk;</item>
/// <item>query: for <c>--duration</c> seconds, point-in-time balances of random accounts at random log indexes and
/// times, and history pages — latency per query.</item>
/// </list>
/// </summary>
internal sealed class ReadModelScenario : IScenario
{
    public string Name => "readmodel";

    public string Description => "read model: projection apply rate (events/s), point-in-time and history query latency";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new(LoadOptions.Accounts, "accounts, [2, 16777216]", "100000"),
        new("--transfers", "transfers in the generated journal, [1, 1000000000]", "2000000"),
        new("--tx-per-command", "transfers per command, [1, 8190]", "1000"),
        .. LoadOptions.DistributionSpecs,
        new("--batch-events", "events per read-model write batch at most (ReadModelOptions.MaxEventsPerBatch), [1, 4194304]", new ReadModelOptions().MaxEventsPerBatch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("--batch-records", "log records per read-model write batch at most (ReadModelOptions.MaxRecordsPerBatch), [1, 1048576]", new ReadModelOptions().MaxRecordsPerBatch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("--history-epoch-rows", "history rows per history epoch (ReadModelOptions.HistoryEpochRows), [1, 1073741824]", new ReadModelOptions().HistoryEpochRows.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("--write-path", "how batches reach RocksDB: ingest (SST files) or writebatch (memtable)", "ingest"),
        new("--settle", "1: after the apply, wait until RocksDB's compactions finish (measured); 0: go on at once (queries then run beside them)", "1"),
        new("--row-stats", "1: after the queries, scan the view and report keys and bytes per table (not timed)", "0"),
        new("--dir", "working directory (default: a temp folder, deleted after)", ""),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        int accounts = (int)options.ExtraLong("--accounts", 100_000, 2, 1 << 24);
        long transfers = options.ExtraLong("--transfers", 2_000_000, 1, 1_000_000_000);
        int perCommand = (int)options.ExtraLong("--tx-per-command", 1000, 1, 8190);
        string distribution = LoadOptions.Describe(options);
        int batchEvents = (int)options.ExtraLong("--batch-events", new ReadModelOptions().MaxEventsPerBatch, 1, 1 << 22);
        int batchRecords = (int)options.ExtraLong("--batch-records", new ReadModelOptions().MaxRecordsPerBatch, 1, 1 << 20);
        int epochRows = (int)options.ExtraLong("--history-epoch-rows", new ReadModelOptions().HistoryEpochRows, 1, 1 << 30);
        string pathText = options.Extra("--write-path", "ingest");
        ReadModelWritePath writePath = pathText switch
        {
            "ingest" => ReadModelWritePath.Ingest,
            "writebatch" => ReadModelWritePath.WriteBatch,
            _ => throw new ArgumentException($"--write-path must be ingest or writebatch, not '{pathText}'"),
        };
        bool settle = options.ExtraLong("--settle", 1, 0, 1) == 1;
        string extraDir = options.Extra("--dir", "");
        string dir = extraDir.Length > 0 ? extraDir : Path.Combine(Path.GetTempPath(), "wallet-perf-readmodel-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var result = new ScenarioResult(Name);
        result.Note($"read-model write batches of at most {batchEvents:N0} events and {batchRecords:N0} records, history epochs of {epochRows:N0} rows, write path {writePath}");
        result.Note($"{accounts:N0} accounts, {transfers:N0} transfers ({perCommand} per command), {distribution}, {Environment.ProcessorCount} cores, dir {dir}");
        try
        {
            LedgerOptions ledger = new()
            {
                Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2)]),
                MaxAccounts = Math.Max(accounts + 1, 16), // + the idle account
                MaxBatchSize = LedgerOptions.DefaultMaxBatchSize,
                TransferRetentionCount = 1 << 20,
            };
            (long lastIndex, long firstTs, long lastTs) = Generate(dir, ledger, accounts, transfers, perCommand, LoadOptions.Picker(options, accounts, pairs: 1 << 22), log);
            Apply(dir, new ReadModelOptions { MaxEventsPerBatch = batchEvents, MaxRecordsPerBatch = batchRecords, HistoryEpochRows = epochRows, WritePath = writePath }, settle, result, log);
            RawRocks(dir, transfers, result, log);
            Query(dir, accounts, lastIndex, firstTs, lastTs, options, result, log);
            if (options.ExtraLong("--row-stats", 0, 0, 1) == 1) ReadModelRowStats.Scan(Path.Combine(dir, ReadModelStore.DirectoryName), result, log);
        }
        finally
        {
            if (extraDir.Length == 0)
            {
                try { Directory.Delete(dir, recursive: true); }
                catch (IOException) { }
            }
        }
        return result;
    }

    private static (long LastIndex, long FirstTs, long LastTs) Generate(string dir, LedgerOptions options, int accounts, long transfers, int perCommand, AccountPicker picker, TextWriter log)
    {
        log.WriteLine($"[readmodel] generating the event journal ({transfers:N0} transfers)");
        var ledger = new LedgerStateMachine(options);
        var sink = new EventBatchSink(options);
        var results = new CreateResult[options.MaxBatchSize + 1];
        using Journal events = Journal.Open(new JournalOptions
        {
            Directory = dir, FilePrefix = PartitionEngine.EventJournalPrefix, Fsync = FsyncPolicy.None,
            SegmentSizeBytes = 256L << 20, MaxRecordBytes = EventBatchSink.MaxBytesFor(options),
        });
        long index = 0, timestamp = 1_700_000_000_000_000_000;
        long firstTs = 0;
        void Run(CommandKind kind, ReadOnlySpan<byte> payload, int items)
        {
            sink.Reset();
            timestamp += items + 1_000_000; // a millisecond between commands
            if (firstTs == 0) firstTs = timestamp;
            ledger.Execute(new CommandStamp(++index, 1, timestamp), kind, payload, results, ref sink);
            events.Append((ushort)kind, index, 1, timestamp, sink.Written);
        }
        var batch = new Account[Math.Min(options.MaxBatchSize, 8190)];
        for (int created = 0; created < accounts; created += batch.Length)
        {
            int n = Math.Min(batch.Length, accounts - created);
            for (int i = 0; i < n; i++) batch[i] = new Account { Id = (UInt128)(created + i + 1), Ledger = 1, Code = 1 };
            Run(CommandKind.CreateAccounts, MemoryMarshal.AsBytes(batch.AsSpan(0, n)), n);
        }
        // The idle account: one change at the start, none after — a query about it now passes every history epoch.
        Account[] idle = [new Account { Id = IdleAccount(accounts), Ledger = 1, Code = 1 }];
        Run(CommandKind.CreateAccounts, MemoryMarshal.AsBytes(idle.AsSpan()), 1);
        Transfer[] first = [new Transfer { Id = (UInt128)long.MaxValue, DebitAccountId = 1, CreditAccountId = IdleAccount(accounts), Amount = 1, Ledger = 1, Code = 1 }];
        Run(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(first.AsSpan()), 1);
        var tx = new Transfer[perCommand];
        long nextId = 0;
        while (nextId < transfers)
        {
            int n = (int)Math.Min(perCommand, transfers - nextId);
            for (int i = 0; i < n; i++)
            {
                long id = ++nextId;
                picker.Pick(id, out int debit, out int credit);
                tx[i] = new Transfer { Id = (UInt128)id, DebitAccountId = (UInt128)(debit + 1), CreditAccountId = (UInt128)(credit + 1), Amount = 1 + (id % 1000), Ledger = 1, Code = 1 };
            }
            Run(CommandKind.CreateTransfers, MemoryMarshal.AsBytes(tx.AsSpan(0, n)), n);
        }
        events.Flush();
        return (index, firstTs, timestamp);
    }

    private static void Apply(string dir, ReadModelOptions readModel, bool settle, ScenarioResult result, TextWriter log)
    {
        string viewDir = Path.Combine(dir, ReadModelStore.DirectoryName);
        ReadModelStore.Destroy(viewDir);
        using Journal events = Journal.OpenReadOnly(new JournalOptions { Directory = dir, FilePrefix = PartitionEngine.EventJournalPrefix });
        using ReadModelStore store = ReadModelStore.Open(viewDir);
        using var projector = new ReadModelProjector(store, events, readModel);
        log.WriteLine($"[readmodel] apply: projecting {events.LastIndex:N0} records");
        // Process CPU time as well as wall time: on a shared machine the CPU cost per event is the steadier figure.
        TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        long allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
        int gcStart = GC.CollectionCount(0);
        long start = Stopwatch.GetTimestamp();
        long records = projector.CatchUp();
        double seconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedStart;
        int gcs = GC.CollectionCount(0) - gcStart;
        ViewPosition p = store.Position;
        result.Add("apply", "records (commands)", records, "records");
        result.Add("apply", "events", p.EventsApplied, "events");
        result.Add("apply", "seconds", seconds, "s");
        result.Add("apply", "events/s", p.EventsApplied / seconds, "events/s");
        result.Add("apply", "records/s", records / seconds, "records/s");
        result.Add("apply", "process CPU seconds (all threads, incl. RocksDB's)", cpuSeconds, "s");
        result.Add("apply", "events per CPU-second", p.EventsApplied / Math.Max(cpuSeconds, 1e-9), "events/s");
        result.Add("apply", "managed bytes allocated", allocated, "B");
        result.Add("apply", "gen0 collections", gcs, "GCs");
        string level0AtEnd = store.Db.GetProperty("rocksdb.num-files-at-level0");
        // The apply figures above leave out the compactions still running (or pending) when CatchUp returns; the two
        // write paths leave different amounts of it behind, so also measure until RocksDB is idle (polled, bounded).
        long settleDeadline = Environment.TickCount64 + (settle ? 300_000 : 0);
        while (Environment.TickCount64 < settleDeadline
            && (store.Db.GetProperty("rocksdb.num-running-compactions") != "0" || store.Db.GetProperty("rocksdb.compaction-pending") != "0"
                || store.Db.GetProperty("rocksdb.num-running-flushes") != "0"))
        {
            Thread.Sleep(20);
        }
        double settledSeconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        double settledCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds;
        if (settle)
        {
            result.Add("apply", "seconds until compactions settled", settledSeconds, "s");
            result.Add("apply", "process CPU seconds until compactions settled", settledCpuSeconds, "s");
            result.Add("apply", "events per CPU-second incl. compactions", p.EventsApplied / Math.Max(settledCpuSeconds, 1e-9), "events/s");
        }
        long bytes = 0;
        foreach (string f in Directory.EnumerateFiles(viewDir)) bytes += new FileInfo(f).Length;
        result.Add("apply", "read model on disk", bytes / (1024.0 * 1024.0), "MiB");
        // Ingested batches land in L0 (they overlap older data): how many files L0 holds when the apply ends, and settled.
        result.Add("apply", "L0 files when the apply ended", long.Parse(level0AtEnd, System.Globalization.CultureInfo.InvariantCulture), "files");
        result.Add("apply", "L0 files settled", long.Parse(store.Db.GetProperty("rocksdb.num-files-at-level0"), System.Globalization.CultureInfo.InvariantCulture), "files");
    }

    /// <summary>
    /// The storage engine alone, for comparison with the apply rate: as many random-key puts (29-byte keys, 112-byte
    /// values, like history rows) as the apply phase wrote history rows, 100,000 per write batch (about the size of a
    /// projection batch), no WAL; once in arrival (random) order and once sorted by <see cref="SortedPutBuffer"/> as the
    /// projection does, into a fresh database each.
    /// </summary>
    private static void RawRocks(string dir, long transfers, ScenarioResult result, TextWriter log)
    {
        long puts = Math.Min(2 * transfers, 4_000_000);
        foreach (bool sorted in (ReadOnlySpan<bool>)[false, true])
        {
            string rawDir = Path.Combine(dir, sorted ? "raw-sorted" : "raw");
            string label = sorted ? "raw sorted" : "raw";
            log.WriteLine($"[readmodel] {label}: {puts:N0} random-key puts straight into RocksDB");
            using var db = RocksDbSharp.RocksDb.Open(new RocksDbSharp.DbOptions().SetCreateIfMissing(true).SetCompression(RocksDbSharp.Compression.Lz4), rawDir);
            var write = new RocksDbSharp.WriteOptions().DisableWal(1);
            using var batch = new RocksDbSharp.WriteBatch();
            var buffer = new SortedPutBuffer();
            var random = new Random(7);
            byte[] key = new byte[29];
            byte[] value = new byte[112];
            long fillTicks = 0, writeTicks = 0;
            for (long done = 0; done < puts;)
            {
                long t0 = Stopwatch.GetTimestamp();
                int n = (int)Math.Min(100_000, puts - done);
                for (int i = 0; i < n; i++)
                {
                    random.NextBytes(key.AsSpan(1, 24));
                    key[0] = (byte)'H';
                    if (sorted) buffer.Put(key, value);
                    else batch.Put(key.AsSpan(), value.AsSpan());
                }
                if (sorted) buffer.MoveTo(batch);
                long t1 = Stopwatch.GetTimestamp();
                db.Write(batch, write);
                batch.Clear();
                long t2 = Stopwatch.GetTimestamp();
                fillTicks += t1 - t0;
                writeTicks += t2 - t1;
                done += n;
            }
            result.Add(label, "puts", puts, "puts");
            result.Add(label, sorted ? "batch fill + sort puts/s (incl. key generation)" : "batch fill puts/s (incl. key generation)", puts / Pacing.TicksToSeconds(fillTicks), "puts/s");
            result.Add(label, "db.Write puts/s (memtable insert)", puts / Pacing.TicksToSeconds(writeTicks), "puts/s");
            result.Add(label, "puts/s overall", puts / Pacing.TicksToSeconds(fillTicks + writeTicks), "puts/s");
        }
    }

    /// <summary>An account beside the workload's: changed once at the start, never after.</summary>
    private static UInt128 IdleAccount(int accounts) => (UInt128)(accounts + 1);

    private static void Query(string dir, int accounts, long lastIndex, long firstTs, long lastTs, PerfOptions options, ScenarioResult result, TextWriter log)
    {
        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir, ReadModelStore.DirectoryName));
        var random = new Random(options.Seed);
        var byIndex = new LatencyRecorder("balance at index");
        var byTime = new LatencyRecorder("balance at time");
        var history = new LatencyRecorder("history page (50 rows, newest first)");
        var idle = new LatencyRecorder("balance now of an account idle since the start");
        var window = new LatencyRecorder("history page (50 rows, oldest first, from a random time)");
        log.WriteLine($"[readmodel] query: {options.WarmupS} s warm-up, {options.DurationS} s measured");
        long warmupEnd = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(options.WarmupS);
        long end = warmupEnd + Pacing.SecondsToTicks(options.DurationS);
        long found = 0, queries = 0;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= end) break;
            bool measure = now >= warmupEnd;
            UInt128 account = (UInt128)(random.Next(accounts) + 1);

            long t0 = Stopwatch.GetTimestamp();
            BalanceAt a = store.GetBalanceAt(account, ReplayTarget.AtIndex(1 + random.NextInt64(lastIndex)));
            long t1 = Stopwatch.GetTimestamp();
            BalanceAt b = store.GetBalanceAt(account, ReplayTarget.AtTime(firstTs + random.NextInt64(lastTs - firstTs + 1)));
            long t2 = Stopwatch.GetTimestamp();
            HistoryPage page = store.GetHistory(new HistoryQuery { AccountId = account, NewestFirst = true, Limit = 50 });
            long t3 = Stopwatch.GetTimestamp();
            BalanceAt c = store.GetBalanceAt(IdleAccount(accounts), ReplayTarget.AtIndex(lastIndex));
            long t4 = Stopwatch.GetTimestamp();
            if (c.Status != BalanceAtStatus.Found || c.Balances.CreditsPosted != 1) throw new InvalidOperationException($"idle account: {c.Status}, credits {c.Balances.CreditsPosted}");
            HistoryPage fromTime = store.GetHistory(new HistoryQuery { AccountId = account, Limit = 50, FromTimestampNs = firstTs + random.NextInt64(lastTs - firstTs + 1) });
            long t5 = Stopwatch.GetTimestamp();
            if (measure)
            {
                byIndex.RecordTicks(t1 - t0);
                byTime.RecordTicks(t2 - t1);
                history.RecordTicks(t3 - t2);
                idle.RecordTicks(t4 - t3);
                window.RecordTicks(t5 - t4);
                queries += 5;
                found += fromTime.Rows.Count > 0 ? 1 : 0;
                if (a.Status == BalanceAtStatus.Found) found++;
                if (b.Status == BalanceAtStatus.Found) found++;
                found += page.Rows.Count > 0 ? 1 : 0;
            }
        }
        result.Add("query", "queries measured", queries, "queries");
        result.Add("query", "answers found", found, "answers");
        byIndex.Report(result, "query");
        byTime.Report(result, "query");
        history.Report(result, "query");
        idle.Report(result, "query");
        window.Report(result, "query");
    }
}
