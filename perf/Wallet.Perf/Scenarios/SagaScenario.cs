using System.Diagnostics;
using System.Runtime.InteropServices;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Saga;
using Wallet.Saga;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// Cross-partition transfers, in process: N partition engines + the saga coordinator. For each mode (same-partition
/// transfers submitted straight to their partition, then Saga, TCC and 2PC cross-partition through the coordinator):
/// a closed-loop saturation run (window of transfers in flight; throughput) and an open-loop run at --rate
/// (latency from the intended send time, so coordinated omission is corrected). Cross-partition transfers are
/// submitted one at a time (the coordinator batches its step commands); same-partition ones in commands of --batch in
/// the closed loop (as a coalescing client does) and one at a time in the open loop.
/// </summary>
internal sealed class SagaScenario : IScenario
{
    public string Name => "saga";

    public string Description => "cross-partition transfers: same-partition vs Saga vs TCC vs 2PC (throughput, CO-corrected latency)";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--partitions", "partition engines, [2, 16]", "2"),
        new("--accounts", "accounts per partition, [16, 1000000]", "10000"),
        // 16,384: with fsync batch a Saga waits on a chain of synced commits (~5 ms), so 4,096 in flight left it
        // window-bound near 450k/s — a saturation run that did not saturate (BENCHMARKS §48).
        new("--window", "transfers in flight in the saturation run, [1, 60000]", "16384"),
        new("--modes", "comma list of: same, saga, tcc, 2pc", "same,saga,tcc,2pc"),
        new("--fsync", "none|batch for partitions and the sequencer journal", "batch"),
        new("--cross-batch", "cross-partition transfers per coordinator submission in the closed loop, [1, 4096] (1 = one at a time)", "= --batch"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        var partitions = (int)options.ExtraLong("--partitions", 2, 2, 16);
        var accounts = (int)options.ExtraLong("--accounts", 10_000, 16, 1_000_000);
        var window = (int)options.ExtraLong("--window", 16_384, 1, 60_000);
        var crossBatch = (int)options.ExtraLong("--cross-batch", Math.Min(options.Batch, 4096), 1, 4096);
        var modes = options.Extra("--modes", "same,saga,tcc,2pc").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var fsync = options.Extra("--fsync", "batch") switch
        {
            "none" => FsyncPolicy.None,
            "batch" => FsyncPolicy.Batch,
            string other => throw new PerfOptionsException($"--fsync must be none or batch; got '{other}'"),
        };
        foreach (var m in modes)
        {
            if (m is not ("same" or "saga" or "tcc" or "2pc")) throw new PerfOptionsException($"unknown mode '{m}' (same, saga, tcc, 2pc)");
        }

        var result = new ScenarioResult(Name);
        result.Note($"{partitions} partitions x {accounts:N0} accounts, window {window}, same-partition batch {options.Batch}, cross-partition submission batch {crossBatch}, open-loop rate {options.Rate:N0}/s, fsync {fsync}, {Environment.ProcessorCount} cores, load {MachineInfo.LoadAverage()}");
        var root = Path.Combine(Path.GetTempPath(), "wallet-perf", "saga-" + Guid.NewGuid().ToString("N")[..8]);
        using var tracker = new SagaBenchTracker();
        log.WriteLine($"[saga] starting {partitions} partitions and the coordinator in {root}");
        using var cluster = new SagaBenchCluster(root, partitions, accounts, fsync, tracker);
        var rng = new Random(options.Seed);
        long nextId = 1L << 40;
        long correlation = 0;
        var throughput = new Dictionary<string, double>();
        foreach (var mode in modes)
        {
            var saturated = Phase(cluster, tracker, mode, rng, ref nextId, ref correlation, options, window, crossBatch, openLoopRate: 0, log, out var failed, out var committed, cpu: result);
            result.Add(mode, "committed/s (closed loop)", saturated, "tx/s");
            result.Add(mode, "refused or compensated (closed loop)", failed, "tx");
            throughput[mode] = saturated;
            var latency = new LatencyRecorder("latency");
            var achieved = Phase(cluster, tracker, mode, rng, ref nextId, ref correlation, options, window, crossBatch, options.Rate, log, out failed, out _, latency);
            result.Add(mode, $"committed/s at {options.Rate:N0}/s offered (open loop)", achieved, "tx/s");
            result.Add(mode, "refused or compensated (open loop)", failed, "tx");
            latency.Report(result, mode);
        }

        if (throughput.TryGetValue("same", out var same) && same > 0)
        {
            foreach (var (mode, tps) in throughput)
            {
                if (mode != "same") result.Add("ratio", $"{mode} / same-partition", tps / same, "x");
            }
        }

        // Read after every phase drained (the driver is idle): a cross-check of the tracker's counts.
        result.Add("sequencer", "sagas begun", (double)(cluster.Coordinator.Machine.NextSagaId - 1), "sagas");
        result.Add("harness", "transfers sent / completed", tracker.SentCount, "tx");
        result.Add("harness", "completed", tracker.Completed, "tx");
        result.Add("sequencer", "anomalies", cluster.Coordinator.Machine.Anomalies, "sagas");
        var byCode = tracker.FailuresByCode();
        result.Note(byCode.Length == 0 ? "no transfer refused or compensated" : $"refused or compensated, by code (all phases): {byCode}");
        result.Add("sequencer", "answers dropped (inbox full)", cluster.Coordinator.DroppedAnswers, "answers");
        result.Add("sequencer", "steps resent (no answer within 2 s)", cluster.Coordinator.StepsResent, "steps");
        // Batching, over all phases: sagas per driver round and steps per partition command (larger = cheaper per saga).
        var sagas = (double)(cluster.Coordinator.Machine.NextSagaId - 1);
        result.Add("sequencer", "sagas per driver round (all phases)", sagas / Math.Max(1, cluster.Coordinator.Rounds), "sagas");
        result.Add("sequencer", "steps per partition command (all phases)", (double)cluster.Coordinator.StepsSent / Math.Max(1, cluster.Coordinator.StepCommands), "steps");
        return result;
    }

    /// <summary>Warm-up + measured run of one mode; returns committed transfers/s over the measured window (failures excluded).</summary>
    private static double Phase(SagaBenchCluster cluster, SagaBenchTracker tracker, string mode, Random rng, ref long nextId, ref long correlation,
        PerfOptions options, int window, int crossBatch, long openLoopRate, TextWriter log, out long failed, out long completed, LatencyRecorder? latency = null,
        ScenarioResult? cpu = null)
    {
        var label = openLoopRate > 0 ? $"open loop {openLoopRate:N0}/s" : $"closed loop, window {window}";
        log.WriteLine($"[saga] {mode}: {label}");
        var sagaMode = mode switch { "saga" => SagaMode.Saga, "tcc" => SagaMode.Tcc, "2pc" => SagaMode.TwoPhaseCommit, _ => (SagaMode)0 };
        var start = Stopwatch.GetTimestamp();
        var warmupEnd = start + Pacing.SecondsToTicks(options.WarmupS);
        var end = warmupEnd + Pacing.SecondsToTicks(options.DurationS);
        var intervalTicks = openLoopRate > 0 ? Math.Max(1, Stopwatch.Frequency / openLoopRate) : 0;
        var intended = start;
        long measuredFrom = 0, completedFrom = 0, failedFrom = 0;
        var measuring = false;
        ProcessThreadCpu? cpuFrom = null;
        var batch = new Transfer[Math.Max(Math.Max(1, options.Batch), crossBatch)];
        var spinner = new SpinWait();
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (!measuring && now >= warmupEnd)
            {
                measuring = true;
                if (cpu is not null) cpuFrom = ProcessThreadCpu.Snapshot();
                measuredFrom = now;
                completedFrom = tracker.Completed;
                failedFrom = tracker.Failed;
                tracker.Latency = latency;
            }

            if (now >= end) break;
            long sendTicks;
            if (openLoopRate > 0)
            {
                intended += intervalTicks;
                Pacing.PaceUntil(intended);
                sendTicks = intended;
            }
            else
            {
                // Closed loop: wait (blocked, never spinning) for room in the window; refill in steps of 1/16 window.
                tracker.WaitForRoom(window, window / 16, end);
                sendTicks = Stopwatch.GetTimestamp();
            }

            if (mode == "same")
            {
                // Same-partition: one command of k transfers for one partition, as a coalescing client or gateway sends
                // them (k = --batch in the closed loop; 1 in the open loop, each at its intended time).
                var k = openLoopRate > 0 ? 1 : Math.Min(Math.Max(1, options.Batch), Math.Max(1, window - (int)tracker.InFlight));
                var first = correlation + 1;
                var partition = rng.Next(cluster.Accounts.Length);
                for (var i = 0; i < k; i++)
                {
                    batch[i] = Pick(cluster, rng, partition, partition, nextId++);
                    tracker.Sent(++correlation, sendTicks);
                }

                SubmitStatus status;
                while ((status = cluster.Engines[partition].TrySubmit((ushort)CommandKind.CreateTransfers, first, 1, MemoryMarshal.AsBytes(batch.AsSpan(0, k)))) == SubmitStatus.Busy)
                    spinner.SpinOnce(sleep1Threshold: -1);
                if (status != SubmitStatus.Accepted) throw new InvalidOperationException($"partition refused: {status}");
            }
            else
            {
                // Cross-partition: k transfers in one coordinator submission (k = --cross-batch in the closed loop, as a
                // coalescing client or gateway sends them; 1 in the open loop), each its own saga with its own outcome.
                var k = openLoopRate > 0 ? 1 : Math.Min(crossBatch, Math.Max(1, window - (int)tracker.InFlight));
                var first = correlation + 1;
                for (var i = 0; i < k; i++)
                {
                    var source = rng.Next(cluster.Accounts.Length);
                    var dest = (source + 1 + rng.Next(cluster.Accounts.Length - 1)) % cluster.Accounts.Length;
                    batch[i] = Pick(cluster, rng, source, dest, nextId++);
                    tracker.Sent(++correlation, sendTicks);
                }

                while (!cluster.Coordinator.TrySubmit(batch.AsSpan(0, k), sagaMode, first, tracker))
                {
                    if (cluster.Coordinator.Failure is { } f) throw new InvalidOperationException("coordinator failed", f);
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
        }

        var seconds = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - measuredFrom);
        ProcessThreadCpu? cpuTo = cpuFrom is null ? null : ProcessThreadCpu.Snapshot();
        completed = tracker.Completed - completedFrom;
        failed = tracker.Failed - failedFrom;
        if (cpu is not null && cpuFrom is not null && cpuTo is not null && completed > 0)
        {
            // Where the machine's CPU went per completed transfer, by thread role: what bounds the ratio to same-partition.
            double total = 0;
            foreach ((string role, double s) in cpuTo.Since(cpuFrom, RoleOf))
            {
                cpu.Add(mode, $"cpu per transfer: {role}", s * 1e9 / completed, "ns");
                total += s;
            }
            cpu.Add(mode, "cpu per transfer: all threads", total * 1e9 / completed, "ns");
        }
        // Drain before the next phase so that phases do not overlap.
        if (!Pacing.WaitUntil(() => tracker.InFlight == 0, Pacing.SecondsToTicks(60))) log.WriteLine($"[saga] warning: {tracker.InFlight} still in flight after 60 s");
        tracker.Latency = null;
        return (completed - failed) / seconds;
    }

    /// <summary>Thread name → role, for the CPU split (partition threads are named p{id}-blp, p{id}-sequencer, …).</summary>
    private static string RoleOf(string thread)
    {
        if (thread.StartsWith("saga-coordinato", StringComparison.Ordinal)) return "saga coordinator";
        if (thread.StartsWith("prefault", StringComparison.Ordinal) || thread.StartsWith("dropbehind", StringComparison.Ordinal)) return "journal pages";
        if (thread.EndsWith("-blp", StringComparison.Ordinal)) return "partition BLPs";
        if (thread.EndsWith("-sequencer", StringComparison.Ordinal)) return "partition sequencers";
        if (thread.EndsWith("-egress", StringComparison.Ordinal)) return "partition egress";
        return "harness and runtime";
    }

    private static Transfer Pick(SagaBenchCluster cluster, Random rng, int pa, int pb, long id)
    {
        var a = cluster.Accounts[pa][rng.Next(cluster.Accounts[pa].Length)];
        UInt128 b;
        do b = cluster.Accounts[pb][rng.Next(cluster.Accounts[pb].Length)];
        while (b == a);
        return new Transfer { Id = (UInt128)id, DebitAccountId = a, CreditAccountId = b, Amount = 1 + rng.Next(1000), Ledger = 1, Code = 1 };
    }
}
