using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Blp;
using Wallet.Perf.Scenarios.Serve;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// End to end over loopback: starts a real <c>wallet serve</c> process (single node, fresh data directory) and
/// drives it with <c>--connections</c> client SDK connections from this process.
/// <list type="bullet">
/// <item>closed loop, per batch size: every connection keeps requests in flight back to back (batch 1 = concurrent
/// single-transfer calls, coalesced by the SDK; larger = CreateTransfers batches) — max throughput;</item>
/// <item>open loop at each offered rate, batch 1: transfers are issued on a fixed schedule and latency is taken from
/// the intended send time (coordinated omission corrected) to the pushed result.</item>
/// </list>
/// Single transfers go through the SDK's allocation-free path by default (<c>--single-api pooled</c>: the closed loop
/// awaits <c>TransferAsync</c>, the open loop submits with <c>TrySubmitTransfer</c> and records in the handler on the
/// receive loop), so the load generator's own GC and thread hops stay out of the measured tail; <c>--single-api task</c>
/// measures <c>CreateTransferAsync</c> instead.
/// With <c>--replicas 3</c> (the <c>replicated</c> scenario) three <c>wallet serve</c> replicas of one partition run
/// as a cluster on loopback, one process each; the clients connect to the leader and every acknowledged transfer is
/// committed on a majority.
/// </summary>
internal sealed class E2eScenario(string name, int defaultReplicas, bool readModelLag = false) : IScenario
{
    private const string AdminPassword = "admin-dev-password"; // the development default in appsettings.json
    private const string SingleApiOption = "--single-api";
    private const string DirectSendOption = "--client-direct-send";
    private const string DirectMaxInFlightOption = "--client-direct-max-inflight";
    private const string ClosedWorkersOption = "--closed-loop-callers";

    private readonly string _defaultBatches = readModelLag ? "100,8190" : "1,100,8190";
    private readonly string _defaultRates = readModelLag ? "10000" : "10000,100000";

    public string Name => name;

    public string Description => readModelLag
        ? "e2e load against wallet serve with the read model ON: read-model lag (events, ms), apply rate and catch-up per phase"
        : defaultReplicas == 1
            ? "wallet serve over loopback: closed-loop max throughput per batch size, open-loop latency per rate"
            : $"{defaultReplicas} wallet serve replicas (one process each) on loopback: closed-loop max throughput per batch size, open-loop latency per rate";

    public IReadOnlyList<OptionSpec> ExtraOptions =>
    [
        new("--replicas", "wallet serve processes forming one replicated partition: 1 (no consensus), 3 or 5", defaultReplicas.ToString(CultureInfo.InvariantCulture)),
        new(LoadOptions.Connections, "client connections (alias --clients), [1, 64]", "4"),
        new(LoadOptions.Accounts, "accounts created first, [2, 1000000]", "10000"),
        new("--partitions", "partitions of the (single-node) server, [1, 8]: the SDK's messages then mix partitions and the gateway splits them", "1"),
        new("--cross-pct", "with --partitions >= 2: percent of transfers whose accounts are on different partitions (sagas), [0, 100]", "0"),
        new("--batches", "closed-loop batch sizes, comma list within [1, 8190] (or --batch N)", _defaultBatches),
        new("--rates", "open-loop offered rates (transfers/s), comma list; empty = skip (or --rate N; --rate 0 = closed loop only)", _defaultRates),
        new("--fsync", "server journal fsync policy: none|batch|always", "batch"),
        new("--server-wait", "server wait strategy: blocking|phased|sleeping|yielding|busyspin", "blocking"),
        new("--latency-trace", "directory for a CSV per open-loop phase: the worst latency per 10 ms of send time (where the tail sits in time)", ""),
        new("--server-arg", "extra `wallet serve` arguments, space-separated (e.g. --Partition:SnapshotIntervalCommands=0)", ""),
        new(DirectSendOption, "SDK WalletClientOptions.DirectSend: 1 = a single transfer on an idle connection is written by the caller's thread, 0 = always by the send loop", "1"),
        new(DirectMaxInFlightOption, "SDK WalletClientOptions.DirectSendMaxInFlight: direct sends only while fewer requests are in flight on the connection, [1, 256]", "1"),
        new(ClosedWorkersOption, "closed loop: concurrent callers per connection, [0, 4096]; 0 = 128 at batch 1 and 2 for larger batches (1 = ping-pong: one call at a time, the round trip)", "0"),
        new(SingleApiOption, "SDK path of the batch-1 closed loop and the open loop: pooled (TransferAsync / TrySubmitTransfer, no garbage, no hop) | task (CreateTransferAsync)", "pooled"),
        .. LoadOptions.DistributionSpecs,
        LoadOptions.SweepSpec,
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        int connections = (int)options.ExtraLong(LoadOptions.Connections, 4, 1, 64);
        int accounts = (int)options.ExtraLong(LoadOptions.Accounts, 10_000, 2, 1_000_000);
        int[] batches = LoadOptions.Batches(options, _defaultBatches, LedgerOptions.DefaultMaxBatchSize);
        int[] rates = LoadOptions.Rates(options, _defaultRates);
        string fsync = LoadOptions.Fsync(options, "batch");
        string wait = options.Extra("--server-wait", "blocking");
        if (wait is not ("blocking" or "phased" or "sleeping" or "yielding" or "busyspin"))
            throw new PerfOptionsException($"--server-wait must be blocking, phased, sleeping, yielding or busyspin; got '{wait}'");
        var picker = LoadOptions.Picker(options, accounts, pairs: 1 << 20);
        string singleApi = options.Extra(SingleApiOption, "pooled");
        if (singleApi is not ("pooled" or "task"))
            throw new PerfOptionsException($"{SingleApiOption} must be pooled or task; got '{singleApi}'");
        bool pooled = singleApi == "pooled";
        bool directSend = options.ExtraLong(DirectSendOption, 1, 0, 1) == 1;
        int directMaxInFlight = (int)options.ExtraLong(DirectMaxInFlightOption, 1, 1, 256);
        int closedCallers = (int)options.ExtraLong(ClosedWorkersOption, 0, 0, 4096);
        int replicas = (int)options.ExtraLong("--replicas", defaultReplicas, 1, 5);
        string? traceDirectory = options.Extra("--latency-trace", "") is { Length: > 0 } t ? Path.GetFullPath(t) : null;
        if (traceDirectory is not null) Directory.CreateDirectory(traceDirectory);
        string[] serverArgs = options.Extra("--server-arg", "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string a in serverArgs)
        {
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new PerfOptionsException($"--server-arg takes `wallet serve` options such as --Partition:Wait=phased; got '{a}'");
        }

        if (replicas is not (1 or 3 or 5)) throw new PerfOptionsException("--replicas must be 1, 3 or 5");
        int partitions = (int)options.ExtraLong("--partitions", 1, 1, 8);
        int crossPct = (int)options.ExtraLong("--cross-pct", 0, 0, 100);
        if (partitions > 1 && replicas > 1) throw new PerfOptionsException("--partitions applies to a single node (--replicas 1); see the cluster-saga scenario for partitions on a cluster");
        var ids = new PartitionedAccounts(accounts, partitions, crossPct);
        if (partitions > 1) serverArgs = ["--partitions", partitions.ToString(CultureInfo.InvariantCulture), .. serverArgs];

        var result = new ScenarioResult(Name);
        result.Note(replicas == 1
            ? $"wallet serve in its own process, fsync {fsync}, wait {wait}; {connections} client connections, single transfers via {(pooled ? "TransferAsync/TrySubmitTransfer (pooled, completions on the receive loop)" : "CreateTransferAsync (Task)")}, SDK direct send {(directSend ? $"on (below {directMaxInFlight} in flight)" : "off")}; {accounts:N0} accounts, {LoadOptions.Describe(options)}; {Environment.ProcessorCount} cores shared by client and server"
            : $"{replicas} wallet serve replicas (a process each, consensus over loopback TCP), fsync {fsync}, wait {wait}; {connections} client connections to the leader; {accounts:N0} accounts, {LoadOptions.Describe(options)}; {Environment.ProcessorCount} cores shared by client and all replicas");
        if (partitions > 1)
            result.Note($"{partitions} partitions in the server: account i on partition i mod {partitions}; {crossPct}% of transfers across partitions (sagas), the rest inside one; SDK messages mix partitions and the gateway splits them");
        if (serverArgs.Length > 0) result.Note("extra wallet serve arguments: " + string.Join(' ', serverArgs));
        if (readModelLag)
            result.Note($"read model ON (RocksDB, projected inside wallet serve from the event journal); its lag sampled every {ReadModelLagSampler.IntervalMs} ms via GET /v1/readmodel during each measured phase; apply rate = events applied per second over the phase");
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = new int[replicas];
        var httpPorts = new int[replicas];
        string members = string.Empty;
        for (int i = 0; i < replicas; i++)
        {
            ports[i] = FreePort();
            httpPorts[i] = readModelLag ? FreePort() : 0;
            if (replicas > 1) members += (i == 0 ? "" : ",") + $"{i + 1}=127.0.0.1:{ports[i]}:{FreePort()}";
        }
        var servers = new List<ServerProcess>();
        try
        {
            for (int i = 0; i < replicas; i++)
            {
                string[] cluster = replicas == 1 ? serverArgs : [$"--Cluster:NodeId={i + 1}", $"--Cluster:Members={members}", .. serverArgs];
                servers.Add(ServerProcess.Start(Path.Combine(dir, $"node-{i + 1}"), ports[i], fsync, wait, log, cluster, httpPorts[i], readModelLag));
            }
            int leader = 0;
            if (replicas > 1)
            {
                leader = servers.IndexOf(ServerProcess.WaitForLeader(servers, TimeSpan.FromSeconds(30)));
                log.WriteLine($"[{name}] leader is the replica on port {ports[leader]}");
            }
            var run = new Load(name, options, picker, ids, result, log, pooled, traceDirectory, directSend, directMaxInFlight, closedCallers);
            run.RunAsync(servers, ports[leader], httpPorts[leader], connections, accounts, batches, rates).GetAwaiter().GetResult();
            if (replicas > 1)
            {
                int elections = 0;
                foreach (ServerProcess s in servers) elections += s.LeaderLines;
                // One line per leadership won: more than one means the leader changed during the run (a stall).
                result.Note($"leaderships won during the run: {elections} (1 = the leader never changed)");
            }
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

    /// <summary>One run's load: the phases against the leader, with their figures going into one result.</summary>
    private sealed class Load(string name, PerfOptions options, AccountPicker picker, PartitionedAccounts ids, ScenarioResult result, TextWriter log, bool pooled, string? traceDirectory,
        bool directSend, int directMaxInFlight, int closedCallers)
    {
        private readonly string? _traceDirectory = traceDirectory;
        private long _nextId = 1_000_000_000;

        private long NextId() => Interlocked.Increment(ref _nextId);

        public async Task RunAsync(List<ServerProcess> servers, int port, int httpPort, int connectionCount, int accounts, int[] batches, int[] rates)
        {
            var clients = new WalletClient[connectionCount];
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i] = await WalletClient.ConnectAsync(new WalletClientOptions
                {
                    Port = port, ClientId = "admin", Credential = AdminPassword, MaxInFlight = 256, RequestTimeoutMs = 60_000,
                    BusyRetryLimit = 1000, BusyRetryMaxDelayMs = 5,
                    // The load's continuations only record and submit the next call: safe to run on the receive loop.
                    CompletionsOnReceiveThread = true, MaxPendingTransfers = 1 << 18, DirectSend = directSend,
                    DirectSendMaxInFlight = directMaxInFlight,
                }).ConfigureAwait(false);
            }
            ReadModelLagSampler? lag = httpPort > 0 ? new ReadModelLagSampler(httpPort, "admin", AdminPassword) : null;
            try
            {
                await CreateAccountsAsync(clients[0], accounts).ConfigureAwait(false);
                int maxBatch = clients[0].Limits.MaxItemsPerMessage(128);
                foreach (int batch in batches)
                {
                    int size = Math.Min(batch, maxBatch);
                    string group = "closed loop batch " + size;
                    log.WriteLine($"[{name}] closed loop, batch {size}: {options.WarmupS}s warm-up + {options.DurationS}s");
                    await ClosedLoop(clients, size, options.WarmupS, null).ConfigureAwait(false);
                    ReadModelLagSampler.Phase? sampling = lag?.Start(group);
                    await ClosedLoop(clients, size, options.DurationS, group).ConfigureAwait(false);
                    if (sampling is not null) await sampling.StopAsync(result, log).ConfigureAwait(false);
                }
                foreach (int rate in rates)
                {
                    string group = $"open loop {rate:N0}/s";
                    log.WriteLine($"[{name}] open loop at {rate:N0}/s, batch 1: {options.WarmupS}s warm-up + {options.DurationS}s");
                    await OpenLoop(clients, rate, options.WarmupS, null, null).ConfigureAwait(false);
                    var recorder = new LatencyRecorder("latency");
                    var timeline = new ThroughputTimeline(group, Stopwatch.GetTimestamp(), expectedSeconds: options.DurationS);
                    ReadModelLagSampler.Phase? sampling = lag?.Start(group);
                    var gc = GcWindow.Start();
                    var sdk = SdkWindow.Start(clients);
                    OpenLoopOutcome o = await OpenLoop(clients, rate, options.DurationS, recorder, timeline).ConfigureAwait(false);
                    sdk.Report(result, group, clients, o.Completed, o.PacerCpu, o.SubmitTicks);
                    gc.Report(result, group, "load generator");
                    if (sampling is not null) await sampling.StopAsync(result, log).ConfigureAwait(false);
                    result.Add(group, "completed rate", o.CompletedPerS, "tx/s");
                    result.Add(group, "failed transfers", o.Failed, "tx");
                    result.Add(group, "sends issued > 1 s late", o.Late, "tx");
                    recorder.Report(result, group);
                    result.Timelines.Add(timeline);
                }
                if (options.SweepP99BoundUs is not null)
                {
                    SweepOutcome sweep = await RateSweep.RunAsync(name, options, async rate =>
                    {
                        double warmup = Math.Min(options.WarmupS, 1);
                        if (warmup > 0) await OpenLoop(clients, (int)rate, warmup, null, null).ConfigureAwait(false);
                        var recorder = new LatencyRecorder("latency");
                        OpenLoopOutcome o = await OpenLoop(clients, (int)rate, RateSweep.ProbeSeconds(rate, options.DurationS), recorder, null).ConfigureAwait(false);
                        return new SweepProbe(rate, o.CompletedPerS, recorder.PercentileNs(99), o.Failed);
                    }, log).ConfigureAwait(false);
                    RateSweep.Report(sweep, result);
                }
            }
            finally
            {
                foreach (WalletClient c in clients) await c.DisposeAsync().ConfigureAwait(false);
                if (lag is not null) await lag.DisposeAsync().ConfigureAwait(false);
            }
            foreach (ServerProcess server in servers)
            {
                if (server.HasExited) throw new InvalidOperationException("wallet serve exited during the run:\n" + server.Output);
            }
        }

        private async Task CreateAccountsAsync(WalletClient client, int accounts)
        {
            log.WriteLine($"[{name}] creating {accounts:N0} accounts");
            int maxBatch = client.Limits.MaxItemsPerMessage(128);
            for (int from = 0; from < accounts; from += maxBatch)
            {
                int n = Math.Min(maxBatch, accounts - from);
                var batch = new Account[n];
                for (int i = 0; i < n; i++) batch[i] = new Account { Id = ids.Id(from + i), Ledger = 1, Code = 1 };
                CreateResult[] created = await client.CreateAccountsAsync(batch).ConfigureAwait(false);
                foreach (CreateResult r in created) if (r.Code != ResultCode.Ok) throw new InvalidOperationException($"account creation failed: {r.Code}");
            }
        }

        private async Task ClosedLoop(WalletClient[] clients, int batch, double seconds, string? group)
        {
            // Batch 1: many concurrent single calls per connection (the SDK coalesces them); else two batches in flight.
            int workersPerClient = closedCallers > 0 ? closedCallers : batch == 1 ? 128 : 2;
            long deadline = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(seconds);
            long done = 0, failed = 0;
            long start = Stopwatch.GetTimestamp();
            ThroughputTimeline? timeline = group is null ? null : new ThroughputTimeline(group, start, expectedSeconds: seconds);
            var sdk = SdkWindow.Start(clients);
            var workers = new List<Task>();
            foreach (WalletClient client in clients)
            {
                for (int w = 0; w < workersPerClient; w++)
                {
                    workers.Add(Task.Run(async () =>
                    {
                        var transfers = new Transfer[batch];
                        while (Stopwatch.GetTimestamp() < deadline)
                        {
                            if (batch == 1)
                            {
                                ResultCode code = pooled
                                    ? await client.TransferAsync(ids.NewTransfer(NextId(), picker)).ConfigureAwait(false)
                                    : await client.CreateTransferAsync(ids.NewTransfer(NextId(), picker)).ConfigureAwait(false);
                                if (code != ResultCode.Ok) Interlocked.Increment(ref failed);
                                Interlocked.Increment(ref done);
                                timeline?.Record(Stopwatch.GetTimestamp());
                                continue;
                            }
                            for (int i = 0; i < batch; i++) transfers[i] = ids.NewTransfer(NextId(), picker);
                            CreateResult[] results = await client.CreateTransfersAsync(transfers).ConfigureAwait(false);
                            long bad = 0;
                            foreach (CreateResult r in results) if (r.Code != ResultCode.Ok) bad++;
                            Interlocked.Add(ref failed, bad);
                            Interlocked.Add(ref done, results.Length);
                            timeline?.Record(Stopwatch.GetTimestamp(), results.Length);
                        }
                    }));
                }
            }
            await Task.WhenAll(workers).ConfigureAwait(false);
            double elapsed = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
            if (group is null) return;
            result.Add(group, "transfers/s", done / elapsed, "tx/s");
            sdk.Report(result, group, clients, done);
            result.Add(group, "failed transfers", failed, "tx");
            result.Timelines.Add(timeline!);
            log.WriteLine($"[{name}] {group}: {done / elapsed:N0} transfers/s");
        }

        private readonly record struct OpenLoopOutcome(double CompletedPerS, long Failed, long Late, long Completed, TimeSpan PacerCpu, long SubmitTicks);

        private async Task<OpenLoopOutcome> OpenLoop(WalletClient[] clients, int rate, double seconds, LatencyRecorder? recorder, ThroughputTimeline? timeline)
        {
            long intervalTicks = Math.Max(1, Stopwatch.Frequency / rate);
            long start = Stopwatch.GetTimestamp();
            long count = Math.Max(1, (long)(seconds * rate));
            var completions = new OpenLoopCompletions(count);
            long late = 0, failed = 0;
            object gate = new();
            // The pacer runs on its own thread: parked on a pool thread it would take one of the 2 workers the SDK's
            // socket and completion callbacks run on, and the measured latency would be the pool's queueing delay.
            // LongRunning = a dedicated thread, and awaiting it keeps the pool thread free as well.
            LatencyTrace? trace = recorder is not null && _traceDirectory is not null ? new LatencyTrace(start, seconds) : null;
            var handler = new OpenLoopHandler(completions, recorder, timeline, trace);
            TimeSpan pacerCpu = TimeSpan.Zero;
            long submitTicks = 0; // wall time inside the SDK's submit calls on the pacer thread (a direct send's work is there)
            await Task.Factory.StartNew(() =>
            {
                TimeSpan pacerStart = ThreadCpu.Current();
                for (long i = 0; i < count; i++)
                {
                    long intended = start + i * intervalTicks;
                    Pacing.PaceUntil(intended);
                    WalletClient client = clients[i % clients.Length];
                    if (pooled)
                    {
                        // The intended send time rides as the user token; the handler runs on the receive loop.
                        long submitStart = Stopwatch.GetTimestamp();
                        TransferSubmitStatus status = client.TrySubmitTransfer(ids.NewTransfer(NextId(), picker), handler, intended);
                        submitTicks += Stopwatch.GetTimestamp() - submitStart;
                        if (status != TransferSubmitStatus.Submitted)
                        {
                            handler.Refused();
                        }
                        if (Stopwatch.GetTimestamp() - intended > Stopwatch.Frequency) late++;
                        continue;
                    }
                    long taskSubmitStart = Stopwatch.GetTimestamp();
                    SubmitTask(client, intended);
                    submitTicks += Stopwatch.GetTimestamp() - taskSubmitStart;
                    if (Stopwatch.GetTimestamp() - intended > Stopwatch.Frequency) late++;
                }
                pacerCpu = ThreadCpu.Current() - pacerStart; // its pacing and its submissions (direct sends included)

                // Its own method: a lambda capturing `intended` in the loop body made the compiler allocate a closure
                // object on every iteration of the pooled path too (15 MB per 500k calls, the load generator's gen0s).
                void SubmitTask(WalletClient client, long intended)
                {
                    Task<ResultCode> call = client.CreateTransferAsync(ids.NewTransfer(NextId(), picker));
                    _ = call.ContinueWith(t =>
                    {
                        long now = Stopwatch.GetTimestamp();
                        if (t.Status != TaskStatus.RanToCompletion || t.Result != ResultCode.Ok) Interlocked.Increment(ref failed);
                        timeline?.Record(now);
                        if (recorder is not null)
                        {
                            lock (gate) recorder.RecordTicks(now - intended); // from the intended send time: no coordinated omission
                        }
                        completions.Completed();
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default); // the SDK already completes off its receive loop: no second hop
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            await completions.Done.ConfigureAwait(false);
            if (trace is not null)
            {
                string path = Path.Combine(_traceDirectory!, $"{name}-open-loop-{rate}.csv");
                trace.WriteCsv(path);
                log.WriteLine($"[{name}] latency trace (worst per {LatencyTrace.BucketMs} ms of send time): {path}");
            }
            double achieved = count / Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
            return new OpenLoopOutcome(achieved, failed + handler.Failed, late, count, pacerCpu, submitTicks);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
