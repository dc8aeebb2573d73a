using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Serve;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// Cross-partition transfers on a replicated cluster: three <c>wallet serve</c> processes, each a replica of two
/// partitions and of the saga sequencer's own group (docs/SAGA.md, "Replicated sequencer"). Closed loop through the
/// client SDK, one transfer per request, a fixed window of requests in flight over <c>--connections</c> sessions to the
/// saga leader: same-partition transfers (each partition's leader, redirects followed) against cross-partition ones
/// (sagas in the mode given), on the same setup. Every acknowledged transfer is committed on a majority of its groups.
/// </summary>
internal sealed class ClusterSagaScenario : IScenario
{
    private const string AdminPassword = "admin-dev-password";
    private const int Partitions = 2;
    private const int Replicas = 3;

    public string Name => "cluster-saga";

    public string Description => "3 wallet serve replicas x 2 partitions + the replicated saga sequencer: same-partition vs cross-partition transfers (closed loop, SDK)";

    public IReadOnlyList<OptionSpec> ExtraOptions =>
    [
        new("--fsync", "server journal fsync policy: none|batch", "batch"),
        new("--saga-mode", "saga | tcc | 2pc (the cluster's Saga:Mode)", "saga"),
        new("--modes", "comma list of: same, cross", "same,cross"),
        new(LoadOptions.Connections, "client connections per mode, [1, 64] (even with 'same': one partition each)", "4"),
        new("--window", "requests in flight over all connections, [1, 16384]", "1024"),
        new(LoadOptions.Accounts, "accounts per partition, [4, 100000]", "1000"),
        new("--forwarding", "on: a node forwards items of partitions led elsewhere (the servers' default); off: Redirect (Forwarding:Enabled=false)", "on"),
        new("--spread-leaders", "when one node leads every group after start, stop it (its groups elect among the other two) and restart it, up to 3 times, so that leaderships are spread", "false"),
        new("--connect-to", "leader: every session starts at the leader of what it sends (its partition's for same, the saga group's for cross: nothing forwarded, whatever the placement); saga-leader: at the saga group's leader; non-leader: at a node that does not lead the session's partition (same) or the saga group (cross) — forwarded when leaders are spread", "leader"),
        new("--rounds", "measured rounds, [1, 20]: the modes run in turn, in reverse order every other round (A B B A …), and each mode's figure is its mean over the rounds — so neither mode always runs on the older, fuller cluster", "1"),
        new("--fill-windows", "true: before the measured rounds, same-partition transfers (not measured) until every partition has stored its whole idempotency window (2^20 transfers, the serve default), so that every round runs in the steady state where each new transfer evicts an old one; false: start measuring on empty windows (the first round then runs without eviction)", "true"),
        new("--preallocate-transfers", "true: each partition allocates its whole idempotency window at start, as `wallet serve` does by default; false: the tables start small and double under the load (a cost of the first minutes only, paid ~3x as often by cross-partition transfers: three partition items each)", "true"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        string fsync = options.Extra("--fsync", "batch");
        if (fsync is not ("none" or "batch")) throw new PerfOptionsException($"--fsync must be none or batch; got '{fsync}'");
        string sagaMode = options.Extra("--saga-mode", "saga");
        if (sagaMode is not ("saga" or "tcc" or "2pc")) throw new PerfOptionsException($"--saga-mode must be saga, tcc or 2pc; got '{sagaMode}'");
        string[] modes = options.Extra("--modes", "same,cross").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string m in modes)
        {
            if (m is not ("same" or "cross")) throw new PerfOptionsException($"unknown mode '{m}' (same, cross)");
        }
        int connections = (int)options.ExtraLong(LoadOptions.Connections, 4, 1, 64);
        // Same-partition load: connection i serves partition i mod 2 only (a Redirect moves its whole session there).
        if (Array.IndexOf(modes, "same") >= 0 && connections % Partitions != 0)
            throw new PerfOptionsException($"--connections must be a multiple of {Partitions} with mode 'same' (each connection serves one partition)");
        int window = (int)options.ExtraLong("--window", 1024, 1, 16_384);
        int accounts = (int)options.ExtraLong(LoadOptions.Accounts, 1000, 4, 100_000);
        string forwarding = options.Extra("--forwarding", "on");
        if (forwarding is not ("on" or "off")) throw new PerfOptionsException($"--forwarding must be on or off; got '{forwarding}'");
        bool spreadLeaders = options.Extra("--spread-leaders", "false") == "true";
        string connectTo = options.Extra("--connect-to", "leader");
        if (connectTo is not ("leader" or "saga-leader" or "non-leader")) throw new PerfOptionsException($"--connect-to must be leader, saga-leader or non-leader; got '{connectTo}'");
        int rounds = (int)options.ExtraLong("--rounds", 1, 1, 20);
        bool fillWindows = options.Extra("--fill-windows", "true") switch
        {
            "true" => true,
            "false" => false,
            string other => throw new PerfOptionsException($"--fill-windows must be true or false; got '{other}'"),
        };
        string preallocate = options.Extra("--preallocate-transfers", "true");
        if (preallocate is not ("true" or "false")) throw new PerfOptionsException($"--preallocate-transfers must be true or false; got '{preallocate}'");

        var result = new ScenarioResult(Name);
        result.Note($"{Replicas} wallet serve replicas x {Partitions} partitions (+ the saga group), fsync {fsync}, Saga:Mode {sagaMode}; {connections} SDK connections, " +
            $"window {window}, one transfer per request; {accounts:N0} accounts per partition; {rounds} round(s); windows {(fillWindows ? "filled first" : "empty at start")}; transfer tables {(preallocate == "true" ? "preallocated" : "grown under load")}; forwarding {forwarding}, sessions start at the {connectTo}; {Environment.ProcessorCount} cores shared by the client and all replicas, load {MachineInfo.LoadAverage()}");
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf", "cluster-saga-" + Guid.NewGuid().ToString("N")[..8]);
        // One free block: the client ports, then the replication ports partition-major (node i of group g at
        // base + g × Replicas + i; g = Partitions is the saga group), as `wallet cluster` lays them out.
        int slots = Replicas * (Partitions + 1);
        int first = FreeRange(Replicas + slots);
        var ports = new int[Replicas];
        string members = string.Empty;
        for (int i = 0; i < Replicas; i++)
        {
            ports[i] = first + i;
            members += (i == 0 ? "" : ",") + $"{i + 1}=127.0.0.1:{ports[i]}:{first + Replicas + i}";
        }
        var servers = new List<ServerProcess>();
        try
        {
            ServerProcess StartNode(int i) => ServerProcess.Start(Path.Combine(dir, $"node-{i + 1}"), ports[i], fsync, "blocking", log,
                ["--partitions", "2", $"--Cluster:NodeId={i + 1}", $"--Cluster:Members={members}", $"--Cluster:PartitionPortStride={Replicas}", $"--Saga:Mode={sagaMode}",
                 $"--Partition:PreallocateTransfers={preallocate}", "--Gateway:LogonTimeoutMs=60000", $"--Forwarding:Enabled={forwarding == "on"}"]);
            for (int i = 0; i < Replicas; i++) servers.Add(StartNode(i));
            WaitForSagaLeader(servers, TimeSpan.FromSeconds(60));
            if (spreadLeaders) SpreadLeaders(servers, StartNode, log);
            ServerProcess sagaLeader = WaitForSagaLeader(servers, TimeSpan.FromSeconds(60));
            int leaderPort = ports[servers.IndexOf(sagaLeader)];
            log.WriteLine($"[{Name}] the saga group's leader is the replica on port {leaderPort}");
            var seeds = new WalletEndpoint[Replicas];
            for (int i = 0; i < Replicas; i++) seeds[i] = new WalletEndpoint("127.0.0.1", ports[i]);
            var map = PartitionMap.Uniform(Partitions);
            UInt128[][] ids = SetUpAsync(seeds, leaderPort, map, accounts, log).GetAwaiter().GetResult();
            result.Note(LeadershipNote(servers));
            var throughput = new Dictionary<string, double>();
            var failures = new Dictionary<string, long>();
            var latencies = new Dictionary<string, LatencyRecorder>();
            var perRound = new Dictionary<string, List<double>>();
            foreach (string mode in modes)
            {
                throughput[mode] = 0;
                failures[mode] = 0;
                latencies[mode] = new LatencyRecorder("latency");
                perRound[mode] = [];
            }
            long nextId = 1L << 40;
            if (fillWindows)
            {
                Func<int, int> fillPort = i => ports[LeaderIndex(servers, i % Partitions, fallback: servers.IndexOf(sagaLeader))];
                FillAsync(seeds, fillPort, ids, connections, window, options, () => Interlocked.Increment(ref nextId), log).GetAwaiter().GetResult();
            }
            for (int round = 0; round < rounds; round++)
            {
                // A B, then B A: drift over the run (journals, page cache, a fuller window) falls on both modes alike.
                for (int k = 0; k < modes.Length; k++)
                {
                    string mode = modes[round % 2 == 0 ? k : modes.Length - 1 - k];
                    bool crossMode = mode == "cross";
                    // Where connection i starts: the saga leader, or a node that does not lead what connection i sends.
                    Func<int, int> portOf = connectTo switch
                    {
                        "saga-leader" => _ => leaderPort,
                        "leader" => i => crossMode ? leaderPort : ports[LeaderIndex(servers, i % Partitions, fallback: servers.IndexOf(sagaLeader))],
                        _ => i => ports[NonLeader(servers, crossMode ? Partitions : i % Partitions)],
                    };
                    if (rounds > 1) log.WriteLine($"[{Name}] round {round + 1} of {rounds}");
                    (double tps, long failed) = PhaseAsync(seeds, portOf, ids, crossMode, connections, window, options, latencies[mode], () => Interlocked.Increment(ref nextId), log)
                        .GetAwaiter().GetResult();
                    throughput[mode] += tps / rounds;
                    failures[mode] += failed;
                    perRound[mode].Add(tps);
                }
            }
            foreach (string mode in modes)
            {
                result.Add(mode, rounds > 1 ? $"committed/s (closed loop, mean of {rounds} rounds)" : "committed/s (closed loop)", throughput[mode], "tx/s");
                result.Add(mode, "refused or failed", failures[mode], "tx");
                latencies[mode].Report(result, mode);
                if (rounds > 1) result.Note($"{mode} per round (tx/s): {string.Join(", ", perRound[mode].ConvertAll(v => v.ToString("N0", CultureInfo.InvariantCulture)))}");
            }
            if (rounds > 1 && perRound.TryGetValue("same", out List<double>? sameRounds) && perRound.TryGetValue("cross", out List<double>? crossRounds))
            {
                var ratios = new List<string>();
                for (int r = 0; r < rounds; r++) ratios.Add((sameRounds[r] > 0 ? crossRounds[r] / sameRounds[r] : 0).ToString("0.00", CultureInfo.InvariantCulture));
                result.Note($"cross / same per round: {string.Join(", ", ratios)}");
            }
            if (throughput.TryGetValue("same", out double same) && same > 0 && throughput.TryGetValue("cross", out double cross))
                result.Add("ratio", "cross / same-partition", cross / same, "x");
            int sagaLeaderships = 0;
            foreach (ServerProcess s in servers) sagaLeaderships += s.IsSagaLeader ? 1 : 0;
            result.Note($"saga group leaders at the end: {sagaLeaderships} (1 = settled)");
        }
        catch
        {
            // What each replica said last (role changes, warnings): the first thing to read when a run fails.
            foreach (ServerProcess server in servers) log.WriteLine($"[serve] pid {server.Pid}, last lines:\n{server.Tail(60)}");
            throw;
        }
        finally
        {
            foreach (ServerProcess server in servers)
            {
                server.Stop(log);
                server.Dispose();
            }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        return result;
    }

    /// <summary>The replica that leads every partition and the saga group, or -1 (leaderships spread, or not all known yet).</summary>
    private static int SoleLeader(List<ServerProcess> servers)
    {
        for (int i = 0; i < servers.Count; i++)
        {
            bool all = servers[i].IsSagaLeader;
            for (int p = 0; p < Partitions && all; p++) all = servers[i].LeadsPartition(p);
            if (all) return i;
        }
        return -1;
    }

    /// <summary>Whether every partition and the saga group has a leader among the replicas other than <paramref name="stopped"/>.</summary>
    private static bool AllLed(List<ServerProcess> servers, int stopped)
    {
        for (int g = 0; g <= Partitions; g++)
        {
            bool led = false;
            for (int i = 0; i < servers.Count; i++) led |= i != stopped && (g < Partitions ? servers[i].LeadsPartition(g) : servers[i].IsSagaLeader);
            if (!led) return false;
        }
        return true;
    }

    /// <summary>
    /// A replica that starts first tends to win every election: stop it (its groups elect among the other two, each on
    /// its own random timeout), wait until every group has a leader again, restart it as a follower. Up to 3 rounds.
    /// </summary>
    private static void SpreadLeaders(List<ServerProcess> servers, Func<int, ServerProcess> startNode, TextWriter log)
    {
        for (int round = 0; round < 3; round++)
        {
            Thread.Sleep(500); // let the first elections settle
            int sole = SoleLeader(servers);
            if (sole < 0) return;
            log.WriteLine($"[cluster-saga] node {sole + 1} leads every group: restarting it to spread the leaderships (round {round + 1})");
            ServerProcess stopped = servers[sole];
            stopped.Stop(log);
            long deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
            while (!AllLed(servers, sole) && Stopwatch.GetTimestamp() < deadline) Thread.Sleep(20);
            servers[sole] = startNode(sole); // (if this throws, the stopped one is still in the list for the caller's clean-up)
            stopped.Dispose();
        }
    }

    /// <summary>Which replica leads each group after set-up: with leaders spread, a session at one node has some of its requests forwarded.</summary>
    private static string LeadershipNote(List<ServerProcess> servers)
    {
        var text = new System.Text.StringBuilder("leaders after set-up:");
        var nodes = new HashSet<int>();
        for (int p = 0; p <= Partitions; p++)
        {
            int node = 0;
            for (int i = 0; i < servers.Count; i++)
            {
                if (p < Partitions ? servers[i].LeadsPartition(p) : servers[i].IsSagaLeader) node = i + 1;
            }
            text.Append(CultureInfo.InvariantCulture, $" {(p < Partitions ? $"p{p}" : "saga")} node {node}");
            nodes.Add(node);
        }
        text.Append(nodes.Count == 1 ? " (one node leads everything: no forwarding)" : " (spread: requests at one node for another's partition are forwarded, or redirected with --forwarding off)");
        return text.ToString();
    }

    private static ServerProcess WaitForSagaLeader(List<ServerProcess> servers, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            foreach (ServerProcess s in servers)
            {
                if (s.IsSagaLeader && !s.HasExited) return s;
            }
            Thread.Sleep(20);
        }
        throw new InvalidOperationException("no replica became the saga group's leader within " + timeout);
    }

    private static WalletClientOptions ClientOptions(WalletEndpoint[] seeds, int port) => new()
    {
        Port = port, SeedEndpoints = seeds, ClientId = "admin", Credential = AdminPassword, MaxInFlight = 4096, RequestTimeoutMs = 60_000,
        ConnectTimeoutMs = 30_000, BusyRetryLimit = 1000, BusyRetryMaxDelayMs = 5, MaxRedirects = 20,
    };

    /// <summary>Accounts on each partition (one request per partition and batch: a batch must not span partitions), funded from a bank per partition.</summary>
    private static async Task<UInt128[][]> SetUpAsync(WalletEndpoint[] seeds, int port, PartitionMap map, int perPartition, TextWriter log)
    {
        var lists = new List<UInt128>[Partitions];
        for (int p = 0; p < Partitions; p++) lists[p] = [];
        for (ulong id = 10_000; ; id++)
        {
            int p = map.PartitionOf(id);
            if (lists[p].Count < perPartition + 1) lists[p].Add(id); // the first one per partition is its bank
            if (lists[0].Count > perPartition && lists[1].Count > perPartition) break;
        }
        var ids = new UInt128[Partitions][];
        for (int p = 0; p < Partitions; p++)
        {
            // One client per partition: a Redirect moves a session to that partition's leader.
            await using WalletClient admin = await WalletClient.ConnectAsync(ClientOptions(seeds, port)).ConfigureAwait(false);
            UInt128 bank = lists[p][0];
            ids[p] = [.. lists[p].Skip(1)];
            var all = new Account[lists[p].Count];
            for (int i = 0; i < all.Length; i++) all[i] = new Account { Id = lists[p][i], Ledger = 1, Code = 1 };
            for (int at = 0; at < all.Length; at += 4096)
            {
                CreateResult[] created = await admin.CreateAccountsAsync(all.AsMemory(at, Math.Min(4096, all.Length - at))).ConfigureAwait(false);
                foreach (CreateResult r in created)
                {
                    if (r.Code is not (ResultCode.Ok or ResultCode.Exists)) throw new InvalidOperationException($"account creation: {r.Code}");
                }
            }
            var funding = new Transfer[ids[p].Length];
            for (int i = 0; i < funding.Length; i++)
                funding[i] = new Transfer { Id = (UInt128)(1UL << 50) + lists[p][i + 1], DebitAccountId = bank, CreditAccountId = ids[p][i], Amount = 1_000_000_000, Ledger = 1, Code = 1 };
            for (int at = 0; at < funding.Length; at += 4096)
                await admin.CreateTransfersAsync(funding.AsMemory(at, Math.Min(4096, funding.Length - at))).ConfigureAwait(false);
        }
        log.WriteLine($"[cluster-saga] {perPartition:N0} funded accounts on each of {Partitions} partitions");
        return ids;
    }

    /// <summary>The index of the replica that leads partition <paramref name="partition"/> now, or <paramref name="fallback"/> (an election: the SDK follows the Redirect).</summary>
    private static int LeaderIndex(List<ServerProcess> servers, int partition, int fallback)
    {
        for (int i = 0; i < servers.Count; i++)
        {
            if (servers[i].LeadsPartition(partition)) return i;
        }
        return fallback;
    }

    /// <summary>
    /// The index of a replica that does not lead <paramref name="group"/> (a partition, or <see cref="Partitions"/> for
    /// the saga group) — preferably one that leads another partition: a node leading none sends clients away at logon
    /// (to partition 0's leader), which would measure a redirect, not a forward.
    /// </summary>
    private static int NonLeader(List<ServerProcess> servers, int group)
    {
        int fallback = 0;
        for (int i = 0; i < servers.Count; i++)
        {
            if (group < Partitions ? servers[i].LeadsPartition(group) : servers[i].IsSagaLeader) continue;
            for (int p = 0; p < Partitions; p++)
            {
                if (servers[i].LeadsPartition(p)) return i;
            }
            fallback = i;
        }
        return fallback;
    }

    /// <summary>Transfers per partition that fill its idempotency window: Ledger:TransferRetentionCount's default (the servers here keep it).</summary>
    private const long WindowTransfers = 1 << 20;

    /// <summary>Longest the window fill may take (a slow machine measures on partly filled windows, and says so).</summary>
    private const int FillTimeoutS = 180;

    /// <summary>
    /// Same-partition closed loop, not measured, until every partition committed <see cref="WindowTransfers"/> transfers
    /// (or <see cref="FillTimeoutS"/> passed): from then on every new transfer evicts one, as in a long-running node.
    /// </summary>
    private static async Task FillAsync(WalletEndpoint[] seeds, Func<int, int> portOf, UInt128[][] ids, int connections, int window, PerfOptions options, Func<long> nextId, TextWriter log)
    {
        log.WriteLine($"[cluster-saga] filling every partition's idempotency window ({WindowTransfers:N0} transfers each, not measured)");
        var clients = new WalletClient[connections];
        for (int i = 0; i < clients.Length; i++) clients[i] = await WalletClient.ConnectAsync(ClientOptions(seeds, portOf(i))).ConfigureAwait(false);
        var perPartition = new long[Partitions];
        long start = Stopwatch.GetTimestamp();
        long deadline = start + Pacing.SecondsToTicks(FillTimeoutS);
        async Task Loop(int worker)
        {
            WalletClient client = clients[worker % clients.Length];
            int partition = worker % Partitions;
            var rng = new Random(options.Seed + 7919 * worker);
            var one = new Transfer[1];
            while (Interlocked.Read(ref perPartition[partition]) < WindowTransfers && Stopwatch.GetTimestamp() < deadline)
            {
                UInt128 debit = ids[partition][rng.Next(ids[partition].Length)];
                UInt128 credit = ids[partition][rng.Next(ids[partition].Length)];
                if (debit == credit) continue;
                one[0] = new Transfer { Id = (UInt128)nextId(), DebitAccountId = debit, CreditAccountId = credit, Amount = 1, Ledger = 1, Code = 1 };
                try
                {
                    if ((await client.CreateTransfersAsync(one).ConfigureAwait(false))[0].Code == ResultCode.Ok) Interlocked.Increment(ref perPartition[partition]);
                }
                catch (Exception ex) when (ex is WalletBusyException or TimeoutException or WalletConnectionException)
                {
                    // not counted: the fill goes on
                }
            }
        }
        await RunWindowAsync(window, Loop, clients).ConfigureAwait(false);
        log.WriteLine($"[cluster-saga] windows filled in {Stopwatch.GetElapsedTime(start).TotalSeconds:N1} s: {string.Join(", ", perPartition)} transfers per partition" +
            (Stopwatch.GetTimestamp() >= deadline ? $" (stopped at the {FillTimeoutS} s limit: not full)" : string.Empty));
    }

    /// <summary>Warm-up, then a measured closed loop: <paramref name="window"/> requests in flight over the connections.</summary>
    private static async Task<(double Tps, long Failed)> PhaseAsync(WalletEndpoint[] seeds, Func<int, int> portOf, UInt128[][] ids, bool cross, int connections, int window,
        PerfOptions options, LatencyRecorder latency, Func<long> nextId, TextWriter log)
    {
        log.WriteLine($"[cluster-saga] {(cross ? "cross-partition" : "same-partition")}: closed loop, window {window}");
        // Same-partition load needs a session at each partition's leader: half the connections per partition.
        var clients = new WalletClient[connections];
        for (int i = 0; i < clients.Length; i++) clients[i] = await WalletClient.ConnectAsync(ClientOptions(seeds, portOf(i))).ConfigureAwait(false);
        long start = Stopwatch.GetTimestamp();
        long measureFrom = start + Pacing.SecondsToTicks(options.WarmupS);
        long end = measureFrom + Pacing.SecondsToTicks(options.DurationS);
        long committed = 0, failed = 0;
        var gate = new object();
        async Task Loop(int worker)
        {
            WalletClient client = clients[worker % clients.Length];
            var rng = new Random(options.Seed + worker);
            int partition = worker % Partitions; // same-partition: this loop's partition (its client is redirected there)
            var one = new Transfer[1];
            while (true)
            {
                long sent = Stopwatch.GetTimestamp();
                if (sent >= end) return;
                int from = cross ? rng.Next(Partitions) : partition;
                int to = cross ? 1 - from : partition;
                UInt128 debit = ids[from][rng.Next(ids[from].Length)];
                UInt128 credit = ids[to][rng.Next(ids[to].Length)];
                if (debit == credit) continue;
                one[0] = new Transfer { Id = (UInt128)nextId(), DebitAccountId = debit, CreditAccountId = credit, Amount = 1, Ledger = 1, Code = 1 };
                ResultCode code;
                try
                {
                    code = (await client.CreateTransfersAsync(one).ConfigureAwait(false))[0].Code;
                }
                catch (Exception ex) when (ex is WalletBusyException or TimeoutException or WalletConnectionException)
                {
                    code = ResultCode.LinkedEventFailed; // counted as failed; the phase goes on
                }
                long done = Stopwatch.GetTimestamp();
                if (sent < measureFrom || done > end) continue;
                lock (gate)
                {
                    if (code == ResultCode.Ok) committed++;
                    else failed++;
                    latency.RecordTicks(done - sent);
                }
            }
        }
        await RunWindowAsync(window, Loop, clients).ConfigureAwait(false);
        double seconds = (double)(end - measureFrom) / Stopwatch.Frequency;
        return (committed / seconds, failed);
    }

    /// <summary>Runs <paramref name="window"/> closed-loop workers (worker i = <paramref name="loop"/>(i)) to their end, then disposes the clients.</summary>
    private static async Task RunWindowAsync(int window, Func<int, Task> loop, WalletClient[] clients)
    {
        var loops = new Task[window];
        for (int w = 0; w < window; w++)
        {
            // A copy per iteration: a lambda captures the for variable itself, so loop(w) would see whatever w has
            // reached when the task starts — most loops then shared connection 0 and (same-partition) partition 0.
            int worker = w;
            loops[w] = Task.Run(() => loop(worker));
        }
        await Task.WhenAll(loops).ConfigureAwait(false);
        foreach (WalletClient c in clients) await c.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The first of <paramref name="count"/> consecutive free loopback ports, below Linux's ephemeral range (32768+) so
    /// that other connections cannot take one between this probe and the servers binding it.
    /// </summary>
    private static int FreeRange(int count)
    {
        var random = new Random();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int start = random.Next(20_000, 32_000 - count);
            var held = new List<TcpListener>();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var l = new TcpListener(IPAddress.Loopback, start + i);
                    l.Start();
                    held.Add(l);
                }
                return start;
            }
            catch (SocketException)
            {
                // taken: try another block
            }
            finally
            {
                foreach (TcpListener l in held) l.Stop();
            }
        }
        throw new InvalidOperationException($"no block of {count} free loopback ports found");
    }
}
