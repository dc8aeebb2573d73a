using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Blp;
using Wallet.Perf.Scenarios.Serve;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// The seed's own API: <c>POST /v1/wallet/balance_transfer</c> (JSON, amount as a string) against a real
/// <c>wallet serve</c> with the HTTP API on (read model off: the write path only), driven by <see cref="HttpClient"/>
/// over <see cref="SocketsHttpHandler"/> with <c>--connections</c> HTTP/1.1 keep-alive connections. Accounts are
/// created over SBE first (setup, not measured).
/// <list type="bullet">
/// <item>closed loop: <c>--window</c> requests in flight per connection, back to back — max transfers/s;</item>
/// <item>open loop per offered rate: a pacer thread issues each request at its scheduled time and latency is taken
/// from that intended time to the response (coordinated omission corrected: time queued for a free connection
/// counts, as it would in an application's pool);</item>
/// <item>with <c>--sweep-p99-us</c>, the highest offered rate that keeps p99 within the bound.</item>
/// </list>
/// A transfer counts as done when the answer is 200 with <c>"result":"Ok"</c>; anything else is counted as failed.
/// </summary>
internal sealed class HttpScenario : IScenario
{
    private const string AdminPassword = "admin-dev-password"; // the development default in appsettings.json

    public string Name => "http";

    public string Description => "HTTP/JSON POST /v1/wallet/balance_transfer against wallet serve: closed-loop transfers/s, open-loop CO-corrected latency per rate";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new(LoadOptions.Connections, "HTTP/1.1 connections (alias --clients), [1, 256]; one request in flight each", "64"),
        new("--window", "closed loop: requests in flight per connection, [1, 64]", "1"),
        new(LoadOptions.Accounts, "accounts created first (over SBE), [2, 1000000]", "10000"),
        new("--rates", "open-loop offered rates (transfers/s), comma list; empty = skip (or --rate N; --rate 0 = closed loop only)", "1000,5000"),
        new("--fsync", "server journal fsync policy: none|batch|always", "batch"),
        .. LoadOptions.DistributionSpecs,
        LoadOptions.SweepSpec,
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        // 64 by default: with fsync batch every request waits for a journal flush, so the closed-loop figure is
        // (requests in flight) / (flush round trip); 16 connections measured the flush latency, not the HTTP path.
        int connections = (int)options.ExtraLong(LoadOptions.Connections, 64, 1, 256);
        int window = (int)options.ExtraLong("--window", 1, 1, 64);
        int accounts = (int)options.ExtraLong(LoadOptions.Accounts, 10_000, 2, 1_000_000);
        int[] rates = LoadOptions.Rates(options, "1000,5000");
        string fsync = LoadOptions.Fsync(options, "batch");
        AccountPicker picker = LoadOptions.Picker(options, accounts, pairs: 1 << 20);
        var result = new ScenarioResult(Name);
        result.Note($"wallet serve in its own process (HTTP on, read model off), fsync {fsync}; {connections} HTTP/1.1 connections (SocketsHttpHandler), closed-loop window {window} per connection; {accounts:N0} accounts, {LoadOptions.Describe(options)}; amount \"0.01\" USD per transfer; {Environment.ProcessorCount} cores shared by client and server");
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf", "http-" + Guid.NewGuid().ToString("N")[..8]);
        int sbePort = FreePort(), httpPort = FreePort();
        ServerProcess? server = null;
        try
        {
            server = ServerProcess.Start(dir, sbePort, fsync, "blocking", log, ["--Http:MaxConnections=1024", "--Http:MaxInFlightCommands=16384"], httpPort);
            var load = new Load(options, picker, result, log, httpPort, connections);
            load.RunAsync(sbePort, accounts, window, rates).GetAwaiter().GetResult();
            if (server.HasExited) throw new InvalidOperationException("wallet serve exited during the run:\n" + server.Output);
        }
        finally
        {
            if (server is not null)
            {
                server.Stop(log);
                server.Dispose();
            }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        return result;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>The load phases of one run (one HttpClient, its connection pool shared by every phase).</summary>
    private sealed class Load(PerfOptions options, AccountPicker picker, ScenarioResult result, TextWriter log, int httpPort, int connections)
    {
        private static readonly MediaTypeHeaderValue s_json = new("application/json");
        private readonly Uri _uri = new($"http://127.0.0.1:{httpPort}/v1/wallet/balance_transfer");
        private long _nextId;

        public async Task RunAsync(int sbePort, int accounts, int window, int[] rates)
        {
            await CreateAccountsAsync(sbePort, accounts).ConfigureAwait(false);
            using var handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = connections,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
                UseCookies = false,
                UseProxy = false,
            };
            using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "admin:" + AdminPassword);

            log.WriteLine($"[http] closed loop, {connections} connections x window {window}: {options.WarmupS}s warm-up + {options.DurationS}s");
            await ClosedLoop(http, connections * window, options.WarmupS, null).ConfigureAwait(false);
            await ClosedLoop(http, connections * window, options.DurationS, "closed loop").ConfigureAwait(false);
            foreach (int rate in rates)
            {
                string group = $"open loop {rate:N0}/s";
                log.WriteLine($"[http] open loop at {rate:N0}/s: {options.WarmupS}s warm-up + {options.DurationS}s");
                if (options.WarmupS > 0) await OpenLoop(http, rate, options.WarmupS, null, null).ConfigureAwait(false);
                var recorder = new LatencyRecorder("latency");
                var timeline = new ThroughputTimeline(group, Stopwatch.GetTimestamp(), expectedSeconds: options.DurationS);
                (double completed, long failed) = await OpenLoop(http, rate, options.DurationS, recorder, timeline).ConfigureAwait(false);
                result.Add(group, "completed rate", completed, "tx/s");
                result.Add(group, "failed transfers", failed, "tx");
                recorder.Report(result, group);
                result.Timelines.Add(timeline);
            }
            if (options.SweepP99BoundUs is not null)
            {
                SweepOutcome sweep = await RateSweep.RunAsync("http", options, async rate =>
                {
                    double warmup = Math.Min(options.WarmupS, 1);
                    if (warmup > 0) await OpenLoop(http, (int)rate, warmup, null, null).ConfigureAwait(false);
                    var recorder = new LatencyRecorder("latency");
                    (double completed, long failed) = await OpenLoop(http, (int)rate, RateSweep.ProbeSeconds(rate, options.DurationS), recorder, null).ConfigureAwait(false);
                    return new SweepProbe(rate, completed, recorder.PercentileNs(99), failed);
                }, log).ConfigureAwait(false);
                RateSweep.Report(sweep, result);
            }
        }

        private async Task CreateAccountsAsync(int sbePort, int accounts)
        {
            log.WriteLine($"[http] creating {accounts:N0} accounts over SBE");
            await using WalletClient client = await WalletClient.ConnectAsync(new WalletClientOptions
            {
                Port = sbePort, ClientId = "admin", Credential = AdminPassword, RequestTimeoutMs = 60_000,
            }).ConfigureAwait(false);
            int maxBatch = client.Limits.MaxItemsPerMessage(128);
            for (int from = 0; from < accounts; from += maxBatch)
            {
                int n = Math.Min(maxBatch, accounts - from);
                var batch = new Account[n];
                for (int i = 0; i < n; i++) batch[i] = new Account { Id = (UInt128)(from + i + 1), Ledger = 1, Code = 1 };
                CreateResult[] created = await client.CreateAccountsAsync(batch).ConfigureAwait(false);
                foreach (CreateResult r in created) if (r.Code != ResultCode.Ok) throw new InvalidOperationException($"account creation failed: {r.Code}");
            }
        }

        /// <summary>One transfer request; true when the answer is 200 with result Ok.</summary>
        private async Task<bool> TransferAsync(HttpClient http)
        {
            long id = Interlocked.Increment(ref _nextId);
            picker.Pick(id, out int debit, out int credit);
            string body = string.Create(CultureInfo.InvariantCulture,
                $"{{\"from_account\":\"{debit + 1}\",\"to_account\":\"{credit + 1}\",\"amount\":\"0.01\",\"currency\":\"USD\",\"transaction_id\":\"{id}\"}}");
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = s_json;
            try
            {
                using HttpResponseMessage response = await http.PostAsync(_uri, content).ConfigureAwait(false);
                string text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                return response.StatusCode == HttpStatusCode.OK && text.Contains("\"result\":\"Ok\"", StringComparison.Ordinal);
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false; // HttpClient's timeout
            }
        }

        private async Task ClosedLoop(HttpClient http, int workers, double seconds, string? group)
        {
            long deadline = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(seconds);
            long done = 0, failed = 0;
            long start = Stopwatch.GetTimestamp();
            ThroughputTimeline? timeline = group is null ? null : new ThroughputTimeline("http " + group, start, expectedSeconds: seconds);
            var tasks = new Task[workers];
            for (int w = 0; w < workers; w++)
            {
                tasks[w] = Task.Run(async () =>
                {
                    while (Stopwatch.GetTimestamp() < deadline)
                    {
                        bool ok = await TransferAsync(http).ConfigureAwait(false);
                        if (ok) Interlocked.Increment(ref done);
                        else Interlocked.Increment(ref failed);
                        timeline?.Record(Stopwatch.GetTimestamp());
                    }
                });
            }
            await Task.WhenAll(tasks).ConfigureAwait(false);
            double elapsed = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
            if (group is null) return;
            result.Add(group, "transfers/s", done / elapsed, "tx/s");
            result.Add(group, "failed transfers", failed, "tx");
            result.Timelines.Add(timeline!);
            log.WriteLine($"[http] {group}: {done / elapsed:N0} transfers/s ({failed:N0} failed)");
        }

        private async Task<(double CompletedPerS, long Failed)> OpenLoop(HttpClient http, int rate, double seconds, LatencyRecorder? recorder, ThroughputTimeline? timeline)
        {
            long intervalTicks = Math.Max(1, Stopwatch.Frequency / rate);
            long count = Math.Max(1, (long)(seconds * rate));
            long start = Stopwatch.GetTimestamp();
            var completions = new OpenLoopCompletions(count);
            long ok = 0, failed = 0;
            object gate = new();
            // The pacer has its own thread (see E2eScenario): on a pool thread it would compete with the handler's
            // completions, and the measured latency would include the pool's queueing.
            await Task.Factory.StartNew(() =>
            {
                for (long i = 0; i < count; i++)
                {
                    long intended = start + i * intervalTicks;
                    Pacing.PaceUntil(intended);
                    _ = TransferAsync(http).ContinueWith(t =>
                    {
                        long now = Stopwatch.GetTimestamp();
                        if (t.Status == TaskStatus.RanToCompletion && t.Result) Interlocked.Increment(ref ok);
                        else Interlocked.Increment(ref failed);
                        timeline?.Record(now);
                        if (recorder is not null)
                        {
                            lock (gate) recorder.RecordTicks(now - intended); // from the intended send time: no coordinated omission
                        }
                        completions.Completed();
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            await completions.Done.ConfigureAwait(false);
            return (ok / Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start), failed);
        }
    }
}
