using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Blp;

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
/// With <c>--replicas 3</c> (the <c>replicated</c> scenario) three <c>wallet serve</c> replicas of one partition run
/// as a cluster on loopback, one process each; the clients connect to the leader and every acknowledged transfer is
/// committed on a majority.
/// </summary>
internal sealed class E2eScenario(string name, int defaultReplicas) : IScenario
{
    private const string AdminPassword = "admin-dev-password"; // the development default in appsettings.json

    public string Name => name;

    public string Description => defaultReplicas == 1
        ? "wallet serve over loopback: closed-loop max throughput per batch size, open-loop latency per rate"
        : $"{defaultReplicas} wallet serve replicas (one process each) on loopback: closed-loop max throughput per batch size, open-loop latency per rate";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--replicas", "wallet serve processes forming one replicated partition: 1 (no consensus), 3 or 5", defaultReplicas.ToString(CultureInfo.InvariantCulture)),
        new("--connections", "client connections, [1, 64]", "4"),
        new("--accounts", "accounts created first, [2, 1000000]", "10000"),
        new("--batches", "closed-loop batch sizes, comma list within [1, 8190]", "1,100,8190"),
        new("--rates", "open-loop offered rates (transfers/s), comma list; empty = skip", "10000,100000"),
        new("--fsync", "server journal fsync policy: none|batch|always", "batch"),
        new("--server-wait", "server wait strategy: blocking|sleeping|yielding|busyspin", "blocking"),
        new("--distribution", "uniform|zipf", "uniform"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        int connections = (int)options.ExtraLong("--connections", 4, 1, 64);
        int accounts = (int)options.ExtraLong("--accounts", 10_000, 2, 1_000_000);
        int[] batches = ParseList(options.Extra("--batches", "1,100,8190"), 1, LedgerOptions.DefaultMaxBatchSize, "--batches");
        int[] rates = ParseList(options.Extra("--rates", "10000,100000"), 1, 10_000_000, "--rates");
        string fsync = options.Extra("--fsync", "batch");
        string wait = options.Extra("--server-wait", "blocking");
        var picker = new AccountPicker(accounts, options.Extra("--distribution", "uniform"), options.Seed, pairs: 1 << 20);
        int replicas = (int)options.ExtraLong("--replicas", defaultReplicas, 1, 5);
        if (replicas is not (1 or 3 or 5)) throw new PerfOptionsException("--replicas must be 1, 3 or 5");

        var result = new ScenarioResult(Name);
        result.Note(replicas == 1
            ? $"wallet serve in its own process, fsync {fsync}, wait {wait}; {connections} client connections; {accounts:N0} accounts; {Environment.ProcessorCount} cores shared by client and server"
            : $"{replicas} wallet serve replicas (a process each, consensus over loopback TCP), fsync {fsync}, wait {wait}; {connections} client connections to the leader; {accounts:N0} accounts; {Environment.ProcessorCount} cores shared by client and all replicas");
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = new int[replicas];
        string members = string.Empty;
        for (int i = 0; i < replicas; i++)
        {
            ports[i] = FreePort();
            if (replicas > 1) members += (i == 0 ? "" : ",") + $"{i + 1}=127.0.0.1:{ports[i]}:{FreePort()}";
        }
        var servers = new List<ServerProcess>();
        try
        {
            for (int i = 0; i < replicas; i++)
            {
                string[] cluster = replicas == 1 ? [] : [$"--Cluster:NodeId={i + 1}", $"--Cluster:Members={members}"];
                servers.Add(ServerProcess.Start(Path.Combine(dir, $"node-{i + 1}"), ports[i], fsync, wait, log, cluster));
            }
            int leaderPort = ports[0];
            if (replicas > 1)
            {
                ServerProcess leader = ServerProcess.WaitForLeader(servers, TimeSpan.FromSeconds(30));
                leaderPort = ports[servers.IndexOf(leader)];
                log.WriteLine($"[{name}] leader is the replica on port {leaderPort}");
            }
            RunAsync(servers, leaderPort, connections, accounts, batches, rates, picker, options, result, log).GetAwaiter().GetResult();
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

    private static async Task RunAsync(List<ServerProcess> servers, int port, int connectionCount, int accounts, int[] batches, int[] rates,
        AccountPicker picker, PerfOptions options, ScenarioResult result, TextWriter log)
    {
        var clients = new WalletClient[connectionCount];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = await WalletClient.ConnectAsync(new WalletClientOptions
            {
                Port = port, ClientId = "admin", Credential = AdminPassword, MaxInFlight = 256, RequestTimeoutMs = 60_000,
                BusyRetryLimit = 1000, BusyRetryMaxDelayMs = 5,
            }).ConfigureAwait(false);
        }
        try
        {
            log.WriteLine($"[e2e] creating {accounts:N0} accounts");
            int maxBatch = clients[0].Limits.MaxItemsPerMessage(128);
            for (int from = 0; from < accounts; from += maxBatch)
            {
                int n = Math.Min(maxBatch, accounts - from);
                var batch = new Account[n];
                for (int i = 0; i < n; i++) batch[i] = new Account { Id = (UInt128)(from + i + 1), Ledger = 1, Code = 1 };
                CreateResult[] created = await clients[0].CreateAccountsAsync(batch).ConfigureAwait(false);
                foreach (CreateResult r in created) if (r.Code != ResultCode.Ok) throw new InvalidOperationException($"account creation failed: {r.Code}");
            }

            long nextId = 1_000_000_000;
            foreach (int batch in batches)
            {
                int size = Math.Min(batch, maxBatch);
                log.WriteLine($"[e2e] closed loop, batch {size}: {options.WarmupS}s warm-up + {options.DurationS}s");
                await ClosedLoop(clients, size, picker, () => Interlocked.Increment(ref nextId), options.WarmupS, result, log, "batch " + size).ConfigureAwait(false);
                await ClosedLoop(clients, size, picker, () => Interlocked.Increment(ref nextId), options.DurationS, result, log, "batch " + size, measure: true).ConfigureAwait(false);
            }
            foreach (int rate in rates)
            {
                log.WriteLine($"[e2e] open loop at {rate:N0}/s, batch 1: {options.WarmupS}s warm-up + {options.DurationS}s");
                await OpenLoop(clients, rate, picker, () => Interlocked.Increment(ref nextId), options.WarmupS, null, result).ConfigureAwait(false);
                var recorder = new LatencyRecorder("latency");
                await OpenLoop(clients, rate, picker, () => Interlocked.Increment(ref nextId), options.DurationS, recorder, result).ConfigureAwait(false);
                recorder.Report(result, $"open loop {rate:N0}/s");
            }
        }
        finally
        {
            foreach (WalletClient c in clients) await c.DisposeAsync().ConfigureAwait(false);
        }
        foreach (ServerProcess server in servers)
        {
            if (server.HasExited) throw new InvalidOperationException("wallet serve exited during the run:\n" + server.Output);
        }
    }

    private static Transfer NewTransfer(long id, AccountPicker picker)
    {
        picker.Pick(id, out int debit, out int credit);
        return new Transfer { Id = (UInt128)id, DebitAccountId = (UInt128)(debit + 1), CreditAccountId = (UInt128)(credit + 1), Amount = 1, Ledger = 1, Code = 1 };
    }

    private static async Task ClosedLoop(WalletClient[] clients, int batch, AccountPicker picker, Func<long> nextId, double seconds,
        ScenarioResult result, TextWriter log, string group, bool measure = false)
    {
        // Batch 1: many concurrent single calls per connection (the SDK coalesces them); else two batches in flight.
        int workersPerClient = batch == 1 ? 128 : 2;
        long deadline = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(seconds);
        long done = 0, failed = 0;
        long start = Stopwatch.GetTimestamp();
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
                            ResultCode code = await client.CreateTransferAsync(NewTransfer(nextId(), picker)).ConfigureAwait(false);
                            if (code != ResultCode.Ok) Interlocked.Increment(ref failed);
                            Interlocked.Increment(ref done);
                            continue;
                        }
                        for (int i = 0; i < batch; i++) transfers[i] = NewTransfer(nextId(), picker);
                        CreateResult[] results = await client.CreateTransfersAsync(transfers).ConfigureAwait(false);
                        long bad = 0;
                        foreach (CreateResult r in results) if (r.Code != ResultCode.Ok) bad++;
                        Interlocked.Add(ref failed, bad);
                        Interlocked.Add(ref done, results.Length);
                    }
                }));
            }
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
        double elapsed = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        if (!measure) return;
        result.Add("closed loop " + group, "transfers/s", done / elapsed, "tx/s");
        result.Add("closed loop " + group, "failed transfers", failed, "tx");
        log.WriteLine($"[e2e] {group}: {done / elapsed:N0} transfers/s");
    }

    private static async Task OpenLoop(WalletClient[] clients, int rate, AccountPicker picker, Func<long> nextId, double seconds,
        LatencyRecorder? recorder, ScenarioResult result)
    {
        long intervalTicks = Math.Max(1, Stopwatch.Frequency / rate);
        long start = Stopwatch.GetTimestamp();
        long count = (long)(seconds * rate);
        var pending = new List<Task>((int)Math.Min(count, 1 << 20));
        long late = 0, failed = 0;
        object gate = new();
        // The pacer runs on its own thread: parked on a pool thread it would take one of the 2 workers the SDK's
        // socket and completion callbacks run on, and the measured latency would be the pool's queueing delay.
        // LongRunning = a dedicated thread, and awaiting it keeps the pool thread free as well.
        await Task.Factory.StartNew(() =>
        {
            for (long i = 0; i < count; i++)
            {
                long intended = start + i * intervalTicks;
                Pacing.PaceUntil(intended);
                WalletClient client = clients[i % clients.Length];
                Task<ResultCode> call = client.CreateTransferAsync(NewTransfer(nextId(), picker));
                pending.Add(call.ContinueWith(t =>
                {
                    long now = Stopwatch.GetTimestamp();
                    if (t.Status != TaskStatus.RanToCompletion || t.Result != ResultCode.Ok) Interlocked.Increment(ref failed);
                    if (recorder is not null)
                    {
                        lock (gate) recorder.RecordTicks(now - intended); // from the intended send time: no coordinated omission
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)); // the SDK already completes off its receive loop: no second hop
                if (Stopwatch.GetTimestamp() - intended > Stopwatch.Frequency) late++;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        await Task.WhenAll(pending).ConfigureAwait(false);
        if (recorder is null) return;
        double achieved = count / Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        string group = $"open loop {rate:N0}/s";
        result.Add(group, "completed rate", achieved, "tx/s");
        result.Add(group, "failed transfers", failed, "tx");
        result.Add(group, "sends issued > 1 s late", late, "tx");
    }

    private static int[] ParseList(string text, int min, int max, string name)
    {
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                throw new PerfOptionsException($"{name}: '{part}' is not a whole number in [{min}, {max}]");
            list.Add(v);
        }
        return [.. list];
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A <c>wallet serve</c> child process (the wallet.dll built next to this harness).</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _output = new();
        private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private ServerProcess(Process process) => _process = process;

        public bool HasExited => _process.HasExited;

        public string Output { get { lock (_output) return _output.ToString(); } }

        public bool IsLeader { get; private set; }
        public int LeaderLines { get; private set; }

        /// <summary>The replica that printed that it leads (serve prints every role change).</summary>
        public static ServerProcess WaitForLeader(List<ServerProcess> servers, TimeSpan timeout)
        {
            long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                foreach (ServerProcess s in servers)
                {
                    if (s.IsLeader && !s.HasExited) return s;
                }
                Thread.Sleep(20);
            }
            throw new InvalidOperationException("no replica became leader within " + timeout);
        }

        public static ServerProcess Start(string dataDir, int port, string fsync, string wait, TextWriter log, string[] extra)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "serve", "--data-dir", dataDir,
                "--port", port.ToString(CultureInfo.InvariantCulture), $"--Partition:Fsync={fsync}", $"--Partition:Wait={wait}",
                "--Gateway:MaxBatchSize=8190", "--Gateway:MaxFrameBytes=2097152", "--Gateway:MaxInFlightPerSession=1024",
                "--Gateway:MaxOutboundBytesPerSession=16777216", "--Logging:LogLevel:Default=Warning",
                // The engine alone, as measured before the HTTP API and the read model existed (they have their own scenarios).
                "--Http:Enabled=false", "--ReadModel:Enabled=false", .. extra])
                psi.ArgumentList.Add(a);
            var server = new ServerProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start wallet serve"));
            server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            if (!server._listening.Task.Wait(TimeSpan.FromSeconds(60)))
                throw new InvalidOperationException("wallet serve did not start listening within 60 s:\n" + server.Output);
            log.WriteLine($"[e2e] wallet serve pid {server._process.Id} on 127.0.0.1:{port}");
            return server;
        }

        private void OnLine(string? line)
        {
            if (line is null) return;
            lock (_output) _output.AppendLine(line);
            if (line.Contains("wallet serve: listening on", StringComparison.Ordinal)) _listening.TrySetResult();
            if (line.Contains(" is leader in term ", StringComparison.Ordinal))
            {
                if (!IsLeader) LeaderLines++;
                IsLeader = true;
            }
            else if (line.Contains(" is follower in term ", StringComparison.Ordinal) || line.Contains(" is candidate in term ", StringComparison.Ordinal)) IsLeader = false;
        }

        public void Stop(TextWriter log)
        {
            if (_process.HasExited) return;
            using (Process? kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) kill?.WaitForExit(5000);
            if (!_process.WaitForExit(60_000))
            {
                log.WriteLine("[e2e] wallet serve did not stop within 60 s; killing it");
                _process.Kill();
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill();
            _process.Dispose();
        }
    }
}
