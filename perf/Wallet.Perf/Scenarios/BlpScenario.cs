using System.Diagnostics;
using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Blp;
using PartitionWait = Wallet.Engine.Partition.WaitKind;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// The business-logic processor, in-process. Phases (each warm-up + measured):
/// <list type="bullet">
/// <item>state machine only (no ring, no journal: the "journal off" ceiling) with the chosen transfers per command;</item>
/// <item>the full partition pipeline (ingress ring → sequencer → mmap journal → BLP → event journal → egress)
/// with fsync none and batch;</item>
/// <item>replay of the journal just written (transfers/s through <see cref="LedgerReplay"/>).</item>
/// </list>
/// Reports transfers/s, bytes allocated per transfer over the measured window (process-wide), and command latency
/// (submit → result pushed) at saturation.
/// </summary>
internal sealed class BlpScenario : IScenario
{
    public string Name => "blp";

    public string Description => "ledger BLP: state machine only, pipeline with journal (fsync none|batch), replay; uniform|zipf";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new(LoadOptions.Accounts, "accounts created before the run, [2, 16777216]", "1000000"),
        .. LoadOptions.DistributionSpecs,
        new("--tx-per-command", "transfers per command, [1, 8190]", "8190"),
        new("--phases", "comma list of: sm, sm-copy, sm-direct (sm + event journal, buffered copy or in place), none, batch, replay, restart (a partition restart on the pipeline's data: the pipeline then stops with a snapshot), snapshot (BLP stall of a snapshot capture: full copy vs copy-on-write)", "sm,none,batch,replay"),
        new("--events", "write the event journal in pipeline phases: on|off", "on"),
        new("--prefault-mib", "journal pre-fault window in MiB, populated by a background thread (0 = off; the product's default is 16)", "16"),
        new("--staged-min-bytes", "both journals: records of at least this many bytes are written with one pwrite instead of stored into the mapping (0 = never; the product's default is 65536)", "65536"),
        new("--keep-mib", "both journals: MiB kept in the page cache behind the writer; older pages are written back and dropped (0 = keep all; the product's default is 128)", "128"),
        new("--replay-commands", "replay only the first N journal records (0 = all; fixes the work for A/B runs)", "0"),
        new("--open-validation", "what the replay's journal open reads: last-segment (headers and the last segment; the replay checks each record it applies, as `wallet audit replay` and a restart do) or all-records (every record, then the replay reads them again)", "last-segment"),
        new("--retention", "idempotency window in transfers, [1024, 16777216] (small = the window's memory fits the caches: separates compute from DRAM cost)", "1048576"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        int accounts = (int)options.ExtraLong("--accounts", 1_000_000, 2, 1 << 24);
        string distribution = LoadOptions.Describe(options);
        int perCommand = (int)options.ExtraLong("--tx-per-command", 8190, 1, 8190);
        string[] phases = options.Extra("--phases", "sm,none,batch,replay").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool events = options.Extra("--events", "on") switch
        {
            "on" => true,
            "off" => false,
            string other => throw new PerfOptionsException($"--events must be on or off; got '{other}'"),
        };
        s_prefaultAheadBytes = options.ExtraLong("--prefault-mib", JournalOptions.DefaultPrefaultAheadBytes >> 20, 0, 1024) << 20;
        s_keepBytes = options.ExtraLong("--keep-mib", JournalOptions.DefaultPageCacheKeepBytes >> 20, 0, 4096) << 20;
        s_stagedMinBytes = (int)options.ExtraLong("--staged-min-bytes", JournalOptions.DefaultStagedWriteMinRecordBytes, 0, int.MaxValue);
        long replayCommands = options.ExtraLong("--replay-commands", 0, 0, long.MaxValue);
        JournalOpenValidation openValidation = options.Extra("--open-validation", "last-segment") switch
        {
            "last-segment" => JournalOpenValidation.LastSegment,
            "all-records" => JournalOpenValidation.AllRecords,
            string other => throw new PerfOptionsException($"--open-validation must be last-segment or all-records; got '{other}'"),
        };
        foreach (string p in phases)
        {
            if (p is not ("sm" or "sm-copy" or "sm-direct" or "none" or "batch" or "replay" or "restart" or "snapshot"))
                throw new PerfOptionsException($"unknown phase '{p}' (sm, sm-copy, sm-direct, none, batch, replay, restart, snapshot)");
        }
        s_snapshotOnStop = Array.IndexOf(phases, "restart") >= 0;

        var result = new ScenarioResult(Name);
        result.Note($"{accounts:N0} accounts, {distribution}, {perCommand} transfers per command, event journal {(events ? "on" : "off")}, {Environment.ProcessorCount} cores");
        log.WriteLine($"[blp] generating {distribution} account pairs (seed {options.Seed})");
        var picker = LoadOptions.Picker(options, accounts, pairs: 1 << 22);
        int retention = (int)options.ExtraLong("--retention", 1 << 20, 1024, 1 << 24);
        LedgerOptions ledger = LedgerOptionsFor(accounts, retention);

        string? lastDir = null;
        foreach (string phase in phases)
        {
            switch (phase)
            {
                case "sm":
                    StateMachineOnly(ledger, accounts, perCommand, picker, options, result, log, SmEventMode.Off, "sm");
                    break;
                case "sm-copy":
                    StateMachineOnly(ledger, accounts, perCommand, picker, options, result, log, SmEventMode.Copy, "sm+events copied");
                    break;
                case "sm-direct":
                    StateMachineOnly(ledger, accounts, perCommand, picker, options, result, log, SmEventMode.Direct, "sm+events in place");
                    break;
                case "none":
                case "batch":
                    if (lastDir is not null) TryDelete(lastDir);
                    lastDir = Pipeline(phase == "none" ? FsyncPolicy.None : FsyncPolicy.Batch, ledger, accounts, perCommand, events, picker, options, result, log);
                    break;
                case "snapshot":
                    SnapshotStallRunner.Run(ledger, accounts, picker, result, log);
                    break;
                case "replay":
                    if (lastDir is null) throw new PerfOptionsException("the replay phase needs a pipeline phase (none or batch) before it");
                    Replay(lastDir, ledger, replayCommands, openValidation, result, log);
                    break;
                case "restart":
                    if (lastDir is null) throw new PerfOptionsException("the restart phase needs a pipeline phase (none or batch) before it");
                    Restart(lastDir, ledger, events, perCommand, openValidation, result, log);
                    break;
            }
        }
        if (lastDir is not null) TryDelete(lastDir);
        return result;
    }

    private static LedgerOptions LedgerOptionsFor(int accounts, int retention) => new()
    {
        Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2)]),
        MaxAccounts = Math.Max(accounts, 16),
        MaxBatchSize = LedgerOptions.DefaultMaxBatchSize,
        TransferRetentionCount = retention,
    };

    private static void FillAccounts(Account[] batch, int from, int count)
    {
        for (int i = 0; i < count; i++)
            batch[i] = new Account { Id = (UInt128)(from + i + 1), Ledger = 1, Code = 1 };
    }

    private static void FillTransfers(Transfer[] batch, int count, ref long nextId, AccountPicker picker)
    {
        for (int i = 0; i < count; i++)
        {
            long id = ++nextId;
            picker.Pick(id, out int debit, out int credit);
            ref Transfer t = ref batch[i];
            t = default;
            t.Id = (UInt128)id;
            t.DebitAccountId = (UInt128)(debit + 1);
            t.CreditAccountId = (UInt128)(credit + 1);
            t.Amount = 1;
            t.Ledger = 1;
            t.Code = 1;
        }
    }

    private static void StateMachineOnly(LedgerOptions ledgerOptions, int accounts, int perCommand, AccountPicker picker, PerfOptions options, ScenarioResult result, TextWriter log,
        SmEventMode mode, string group)
    {
        log.WriteLine($"[blp] {group}: state machine on one thread, no ring" + (mode == SmEventMode.Off ? ", no journal" : ", event journal (fsync none)"));
        var ledger = new LedgerStateMachine(ledgerOptions);
        using var runner = new SmEventsRunner(ledger, mode, s_prefaultAheadBytes);
        var results = new CreateResult[LedgerOptions.DefaultMaxBatchSize + 1];
        long index = 0, timestamp = 1_000_000_000;
        var accountBatch = new Account[LedgerOptions.DefaultMaxBatchSize];
        for (int created = 0; created < accounts; created += accountBatch.Length)
        {
            int n = Math.Min(accountBatch.Length, accounts - created);
            FillAccounts(accountBatch, created, n);
            timestamp += n + 1;
            runner.Execute(new CommandStamp(++index, 1, timestamp), CommandKind.CreateAccounts, MemoryMarshal.AsBytes(accountBatch.AsSpan(0, n)), results);
        }

        var transfers = new Transfer[perCommand];
        long nextId = 0, applied = 0, failed = 0;
        long warmupEnd = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(options.WarmupS);
        long end = warmupEnd + Pacing.SecondsToTicks(options.DurationS);
        long measuredFrom = 0, allocFrom = 0, appliedFrom = 0, cpuFrom = 0;
        bool measuring = false;
        while (true)
        {
            FillTransfers(transfers, perCommand, ref nextId, picker);
            timestamp += perCommand + 1;
            int n = runner.Execute(new CommandStamp(++index, 1, timestamp), CommandKind.CreateTransfers, MemoryMarshal.AsBytes(transfers.AsSpan()), results);
            for (int i = 0; i < n; i++) if (results[i].Code != ResultCode.Ok) failed++;
            applied += n;
            long now = Stopwatch.GetTimestamp();
            if (!measuring && now >= warmupEnd)
            {
                measuring = true;
                measuredFrom = now;
                appliedFrom = applied;
                allocFrom = GC.GetTotalAllocatedBytes(precise: true);
                cpuFrom = ThreadCpuClock.NowNs();
            }
            if (now >= end) break;
        }
        long cpuNs = ThreadCpuClock.NowNs() - cpuFrom;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocFrom;
        double seconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - measuredFrom);
        long measured = applied - appliedFrom;
        // Producer work (filling the batch) is included: it is on the same thread here.
        result.Add(group, "transfers/s", measured / seconds, "tx/s");
        result.Add(group, "ns per transfer", seconds * 1e9 / measured, "ns");
        // Thread CPU time only: robust to other processes taking the core (see ThreadCpuClock).
        if (cpuFrom >= 0) result.Add(group, "cpu ns per transfer", (double)cpuNs / measured, "ns");
        result.Add(group, "allocated per transfer", (double)allocated / measured, "B");
        result.Add(group, "failed transfers", failed, "tx");
    }

    private sealed class CountingHandler(int latencySlots) : IPartitionResultHandler
    {
        public readonly long[] SubmitTicks = new long[latencySlots];
        public readonly LatencyRecorder Latency = new("command latency");
        private readonly int _mask = latencySlots - 1;
        private long _transfers;
        private long _failed;
        private long _commands;
        public volatile bool Record;

        public long Transfers => Volatile.Read(ref _transfers);
        public long Commands => Volatile.Read(ref _commands);
        public long Failed => Volatile.Read(ref _failed);

        public void OnResult(ref ResultSlot result, bool endOfBatch)
        {
            if (result.Kind != (ushort)CommandKind.CreateTransfers) return;
            ReadOnlySpan<CreateResult> results = result.ResultSpan;
            long failed = 0;
            for (int i = 0; i < results.Length; i++) if (results[i].Code != ResultCode.Ok) failed++;
            if (Record) Latency.RecordTicks(Stopwatch.GetTimestamp() - SubmitTicks[result.CorrelationId & _mask]);
            Volatile.Write(ref _failed, _failed + failed);
            Volatile.Write(ref _transfers, _transfers + results.Length);
            Volatile.Write(ref _commands, _commands + 1);
        }
    }

    private static long s_prefaultAheadBytes = JournalOptions.DefaultPrefaultAheadBytes;
    private static int s_stagedMinBytes = JournalOptions.DefaultStagedWriteMinRecordBytes;
    private static long s_keepBytes = JournalOptions.DefaultPageCacheKeepBytes;
    private static bool s_snapshotOnStop;

    /// <summary>The partition the pipeline phases run (and the restart phase restarts on their data).</summary>
    private static PartitionOptions PartitionOptionsFor(
        string dir, LedgerOptions ledgerOptions, FsyncPolicy fsync, bool events, int perCommand, PartitionWait wait,
        JournalOpenValidation validation = JournalOpenValidation.LastSegment) => new()
    {
        JournalOpenValidation = validation,
        // all-records = the open before LastSegment: every record of both journals (the event journal's tail = all of it).
        EventJournalCheckTailBytes = validation == JournalOpenValidation.AllRecords ? long.MaxValue : -1,
        DataDirectory = dir,
        Ledger = ledgerOptions,
        Fsync = fsync,
        EventJournal = events,
        JournalPrefaultAheadBytes = s_prefaultAheadBytes,
        JournalStagedWriteMinBytes = s_stagedMinBytes,
        JournalPageCacheKeepBytes = s_keepBytes,
        SnapshotIntervalCommands = 0,
        JournalSegmentSizeBytes = 256L << 20,
        // Big commands: a short ring keeps queueing delay (and so the latency figure) to a few commands.
        IngressRingSize = perCommand > 64 ? 8 : 4096,
        EgressRingSize = perCommand > 64 ? 8 : 4096,
        Wait = wait,
    };

    private static string Pipeline(FsyncPolicy fsync, LedgerOptions ledgerOptions, int accounts, int perCommand, bool events, AccountPicker picker, PerfOptions options, ScenarioResult result, TextWriter log)
    {
        string group = $"pipeline fsync={fsync.ToString().ToLowerInvariant()}";
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf", "blp-" + Guid.NewGuid().ToString("N")[..8]);
        log.WriteLine($"[blp] {group}: data in {dir}");
        // Unset: the product's default (Partition:Wait=blocking). Yielding stages spend a saturated 2-core machine's CPU in
        // sched_yield: 4.18–4.45M against 4.25–4.62M transfers/s with blocking, three pairs (BENCHMARKS §23.6).
        PartitionWait wait = options.Wait switch
        {
            Harness.WaitKind.BusySpin => PartitionWait.BusySpin,
            Harness.WaitKind.Sleeping => PartitionWait.Sleeping,
            Harness.WaitKind.Yielding => PartitionWait.Yielding,
            _ => PartitionWait.Blocking,
        };
        var handler = new CountingHandler(1 << 16);
        PartitionOptions partition = PartitionOptionsFor(dir, ledgerOptions, fsync, events, perCommand, wait);
        using var engine = PartitionEngine.Start(partition, handler);
        long correlation = 0;

        var accountBatch = new Account[LedgerOptions.DefaultMaxBatchSize];
        for (int created = 0; created < accounts; created += accountBatch.Length)
        {
            int n = Math.Min(accountBatch.Length, accounts - created);
            FillAccounts(accountBatch, created, n);
            SubmitBlocking(engine, (ushort)CommandKind.CreateAccounts, ++correlation, MemoryMarshal.AsBytes(accountBatch.AsSpan(0, n)));
        }

        var transfers = new Transfer[perCommand];
        long nextId = 0;
        long warmupEnd = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(options.WarmupS);
        long end = warmupEnd + Pacing.SecondsToTicks(options.DurationS);
        long measuredFrom = 0, allocFrom = 0, transfersFrom = 0, commandsFrom = 0;
        Dictionary<string, long> cpuFrom = [];
        bool measuring = false;
        while (true)
        {
            FillTransfers(transfers, perCommand, ref nextId, picker);
            long c = ++correlation;
            handler.SubmitTicks[c & ((1 << 16) - 1)] = Stopwatch.GetTimestamp();
            SubmitBlocking(engine, (ushort)CommandKind.CreateTransfers, c, MemoryMarshal.AsBytes(transfers.AsSpan()));
            long now = Stopwatch.GetTimestamp();
            if (!measuring && now >= warmupEnd)
            {
                measuring = true;
                handler.Record = true;
                measuredFrom = now;
                transfersFrom = handler.Transfers;
                commandsFrom = handler.Commands;
                cpuFrom = TaskCpuTimes.Snapshot(); // allocates: taken before the allocation window opens
                allocFrom = GC.GetTotalAllocatedBytes(precise: true);
            }
            if (now >= end) break;
        }
        long transfersDone = handler.Transfers - transfersFrom;
        long commandsDone = handler.Commands - commandsFrom;
        double seconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - measuredFrom);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocFrom;
        Dictionary<string, long> cpuTo = TaskCpuTimes.Snapshot();
        handler.Record = false;
        long stopStart = Stopwatch.GetTimestamp();
        // A restart phase after this one starts from a snapshot taken here, as a node stopped gracefully would.
        if (!engine.Stop(TimeSpan.FromSeconds(120), snapshot: s_snapshotOnStop)) log.WriteLine("[blp] warning: the partition did not drain within 120 s");
        if (s_snapshotOnStop) result.Add(group, "stop with a final snapshot", Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - stopStart), "s");
        if (engine.Failure is { } failure) throw new InvalidOperationException("partition failed during the run", failure);

        result.Add(group, "transfers/s", transfersDone / seconds, "tx/s");
        result.Add(group, "commands/s", commandsDone / seconds, "cmd/s");
        result.Add(group, "allocated per transfer", transfersDone == 0 ? 0 : (double)allocated / transfersDone, "B");
        result.Add(group, "failed transfers", handler.Failed, "tx");
        // Per-stage CPU (10 ms ticks): what each thread cost per transfer, independent of how busy the cores were.
        foreach ((string stage, double ns) in TaskCpuTimes.PerItem(cpuFrom, cpuTo, transfersDone, "-blp", "-sequencer", "-egress"))
            result.Add(group, $"cpu ns per transfer ({stage.TrimStart('-')})", ns, "ns");
        handler.Latency.Report(result, group);
        result.Add(group, "journal bytes", DirectoryBytes(dir, "commands-"), "B");
        return dir;
    }

    private static void SubmitBlocking(PartitionEngine engine, ushort kind, long correlation, ReadOnlySpan<byte> payload)
    {
        var spinner = new SpinWait();
        while (true)
        {
            SubmitStatus status = engine.TrySubmit(kind, correlation, 1, payload);
            if (status == SubmitStatus.Accepted) return;
            if (status != SubmitStatus.Busy) throw new InvalidOperationException($"submit refused: {status} ({engine.Failure?.Message})");
            // Backpressure: a few spins and yields, then 1 ms sleeps. A load generator that only yields keeps a core
            // busy (sched_yield returns at once when the other core is idle): 37 % of this 2-core machine at 4.3M/s.
            spinner.SpinOnce();
        }
    }

    private static void Replay(string dir, LedgerOptions ledger, long commands, JournalOpenValidation validation, ScenarioResult result, TextWriter log)
    {
        log.WriteLine($"[blp] replay: rebuilding state from the command journal (no snapshots; open reads {validation})");
        ReplayTarget target = commands > 0 ? ReplayTarget.AtIndex(commands) : ReplayTarget.End;
        long start = Stopwatch.GetTimestamp();
        long cpuStart = ThreadCpuClock.NowNs();
        // With all-records, opening validates every record of the whole journal (CRC and chain), however few are replayed:
        // timed apart, so a fixed --replay-commands compares the same work whatever the pipeline phases wrote before it.
        ReplayResult replay;
        double openSeconds;
        using (Journal commandJournal = Journal.OpenReadOnly(new JournalOptions
               { Directory = dir, FilePrefix = PartitionEngine.CommandJournalPrefix, OpenValidation = validation }))
        {
            openSeconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
            replay = LedgerReplay.Replay(commandJournal, dir, ledger, target, useSnapshots: false);
        }
        long cpuNs = ThreadCpuClock.NowNs() - cpuStart;
        double seconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        long transfers = 0;
        // Every command after the account commands carried transfers; count them from the journal's item counts.
        using (Journal journal = Journal.OpenReadOnly(new JournalOptions { Directory = dir, FilePrefix = PartitionEngine.CommandJournalPrefix, OpenValidation = JournalOpenValidation.LastSegment }))
        using (JournalReader reader = journal.OpenReader(journal.FirstIndex))
        {
            while (reader.TryRead(replay.LastIndex, out JournalRecord r))
                transfers += LedgerStateMachine.ItemCountOf((CommandKind)r.Type, r.Payload.Length);
        }
        result.Add("replay", "commands replayed", replay.CommandsReplayed, "cmd");
        result.Add("replay", "events/s (items applied)", transfers / seconds, "items/s");
        result.Add("replay", "seconds", seconds, "s");
        result.Add("replay", validation == JournalOpenValidation.AllRecords
            ? "of which opening the journal (validates all of it)" : "of which opening the journal (headers and last segment)", openSeconds, "s");
        result.Add("replay", "events/s after the open", transfers / (seconds - openSeconds), "items/s");
        // The calling thread's CPU time per item: the apply thread when replay is single-threaded (see ThreadCpuClock).
        if (cpuStart >= 0) result.Add("replay", "caller cpu ns per item", (double)cpuNs / transfers, "ns");
    }

    /// <summary>
    /// Restarts the partition on a pipeline phase's data (stopped with a final snapshot): opens both journals, loads the
    /// snapshot, replays the tail after it (none) and checks the event journal — what a node's restart costs before it
    /// serves. Timed as a whole; the event journal's own full check (it opens with AllRecords to repair itself) apart.
    /// </summary>
    private static void Restart(string dir, LedgerOptions ledger, bool events, int perCommand, JournalOpenValidation validation, ScenarioResult result, TextWriter log)
    {
        log.WriteLine($"[blp] restart: a partition on {dir} (command journal open reads {validation})");
        PartitionOptions options = PartitionOptionsFor(dir, ledger, FsyncPolicy.None, events, perCommand, PartitionWait.Blocking, validation);
        var handler = new CountingHandler(1 << 16);
        long start = Stopwatch.GetTimestamp();
        using (var engine = PartitionEngine.Start(options, handler))
        {
            double seconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
            result.Add("restart", "seconds to serve (open journals, load the snapshot, replay the tail)", seconds, "s");
            result.Add("restart", "snapshot index", engine.Recovery.Snapshot?.Header.Index ?? 0, "idx");
            result.Add("restart", "commands replayed after the snapshot", engine.Recovery.ReplayedCommands, "cmd");
            engine.Stop(TimeSpan.FromSeconds(60), snapshot: false);
        }
        result.Add("restart", "command journal", DirectoryBytes(dir, "commands-"), "B");
        if (!events) return;
        result.Add("restart", "event journal", DirectoryBytes(dir, "events-"), "B");
        start = Stopwatch.GetTimestamp();
        using (Journal journal = Journal.OpenReadOnly(new JournalOptions { Directory = dir, FilePrefix = PartitionEngine.EventJournalPrefix }))
            result.Add("restart", "of which the event journal's full check (measured again alone)", Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start), "s");
    }

    private static long DirectoryBytes(string dir, string prefix)
    {
        long total = 0;
        foreach (string f in Directory.EnumerateFiles(dir, prefix + "*")) total += new FileInfo(f).Length;
        return total;
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
    }
}
