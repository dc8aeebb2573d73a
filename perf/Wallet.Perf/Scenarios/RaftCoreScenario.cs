using System.Diagnostics;
using Wallet.Engine.Journal;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.RaftCore;
using Wallet.Replication;
using Wallet.Replication.Simulation;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// CPU cost of the consensus core: three <see cref="RaftNode"/>s over real journals (<see cref="JournalRaftLog"/>), all on
/// ONE thread, messages moved through an in-process arena (no sockets). Each round the leader proposes
/// --entries-per-round entries of --batch transfers (128 bytes each), then every node flushes (one journal sync per
/// node per round under fsync batch) and messages are pumped until the round is committed. This is an upper bound
/// for one partition's consensus work per core, not a replicated end-to-end figure (no network, no BLP).
/// </summary>
internal sealed class RaftCoreScenario : IScenario
{
    public string Name => "raft-core";

    public string Description => "consensus core only: 3 RaftNodes + journals on one thread, in-process wire; fsync none|batch";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--fsync", "journal fsync policy: none|batch", "batch"),
        new("--entries-per-round", "entries proposed per round (group commit), [1, 4096]", "64"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        var fsync = options.Extra("--fsync", "batch") switch
        {
            "none" => FsyncPolicy.None,
            "batch" => FsyncPolicy.Batch,
            string other => throw new PerfOptionsException($"--fsync must be none or batch; got '{other}'"),
        };
        var perRound = (int)options.ExtraLong("--entries-per-round", 64, 1, 4096);
        var transfersPerEntry = options.Batch;
        var payload = new byte[transfersPerEntry * 128];
        var result = new ScenarioResult(Name);
        result.Note($"3 replicas on one thread, {perRound} entries per round, {transfersPerEntry} transfers ({payload.Length} B) per entry, fsync {fsync.ToString().ToLowerInvariant()}");

        var root = Path.Combine(Path.GetTempPath(), "wallet-perf-raft-" + Environment.ProcessId);
        int[] members = [1, 2, 3];
        var roundBytes = perRound * (payload.Length + 64);
        var wire = new ArenaWire(Math.Max(64 << 20, roundBytes * 4), 1 << 20);
        var journals = new Journal[3];
        var logs = new JournalRaftLog[3];
        var nodes = new RaftNode[3];
        try
        {
            for (var i = 0; i < 3; i++)
            {
                journals[i] = Journal.Open(new JournalOptions
                {
                    Directory = Path.Combine(root, $"n{i + 1}"),
                    SegmentSizeBytes = 256L << 20,
                    MaxRecordBytes = Math.Max(4096, payload.Length),
                    Fsync = fsync,
                });
                logs[i] = new JournalRaftLog(journals[i]);
                nodes[i] = new RaftNode(
                    new RaftOptions
                    {
                        NodeId = i + 1,
                        Members = members,
                        MaxInFlightBytesPerFollower = Math.Max(8 << 20, roundBytes * 2),
                    },
                    logs[i], new SimStateStore(), new SimRandom((ulong)(options.Seed + i)), new ArenaWire.Outbox(wire, i + 1));
            }

            var clock = Stopwatch.StartNew();
            RaftNode? leader = null;
            while (leader is null)
            {
                if (clock.Elapsed.TotalSeconds > 10) throw new InvalidOperationException("no leader elected in 10 s");
                var now = clock.ElapsedMilliseconds;
                foreach (var n in nodes) n.Tick(now);
                Pump(nodes, wire, now);
                foreach (var n in nodes)
                {
                    if (n.Role == RaftRole.Leader) leader = n;
                }

                if (leader is null) Thread.Sleep(1);
            }

            log.WriteLine($"[raft-core] leader {leader.NodeId} elected; warm-up {options.WarmupS} s, measure {options.DurationS} s");
            var latency = new LatencyRecorder("round");
            long ts = 1;
            var warmupEnd = clock.Elapsed.TotalSeconds + options.WarmupS;
            var end = warmupEnd + options.DurationS;
            long measuredEntries = 0;
            long measuredStartTicks = 0;
            var measuring = false;
            // Raft's timers run on a logical clock from here: 1 ms per round. With the wall clock, one round stalled
            // past the election timeout by a loaded machine (fsync of three journals on 2 shared cores) made the
            // followers elect a new leader mid-run, and the scenario failed on the machine's load, not on the code.
            // The measured figures still use the Stopwatch.
            long logicalMs = clock.ElapsedMilliseconds;
            while (true)
            {
                var t = clock.Elapsed.TotalSeconds;
                if (t >= end) break;
                if (!measuring && t >= warmupEnd)
                {
                    measuring = true;
                    measuredStartTicks = clock.ElapsedTicks;
                }

                var start = Stopwatch.GetTimestamp();
                var now = ++logicalMs;
                foreach (var n in nodes) n.Tick(now);
                long last = 0;
                for (var k = 0; k < perRound; k++) last = leader.Propose(2, ts++, payload);
                if (last < 0) throw new InvalidOperationException("the leader lost its role during the run");
                Pump(nodes, wire, now);
                if (leader.CommitIndex < last) throw new InvalidOperationException($"round not committed: commit {leader.CommitIndex} < {last}");
                if (measuring)
                {
                    latency.RecordTicks(Stopwatch.GetTimestamp() - start);
                    measuredEntries += perRound;
                }
            }

            var seconds = (double)(clock.ElapsedTicks - measuredStartTicks) / Stopwatch.Frequency;
            result.Add("throughput", "entries committed", measuredEntries / seconds, "entries/s");
            result.Add("throughput", "transfers committed", measuredEntries * (double)transfersPerEntry / seconds, "transfers/s");
            result.Add("throughput", "log bytes per replica", measuredEntries * (double)(payload.Length + 48) / seconds / (1 << 20), "MiB/s");
            latency.Report(result, "round (propose → committed, all 3 replicas on this thread)");
            result.Note("single thread does the work of all three replicas; real replicas run on separate machines and pay network latency instead");
            return result;
        }
        finally
        {
            foreach (var l in logs) l?.Dispose();
            foreach (var j in journals) j?.Dispose();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void Pump(RaftNode[] nodes, ArenaWire wire, long now)
    {
        foreach (var n in nodes) n.Flush(now);
        for (var round = 0; round < 16 && wire.Pending > 0; round++)
        {
            wire.Swap();
            for (var i = 0; i < wire.DeliverCount; i++)
            {
                var message = wire.Get(i, out var from, out var to);
                nodes[to - 1].Receive(from, message, now);
            }

            foreach (var n in nodes) n.Flush(now);
        }
    }
}
