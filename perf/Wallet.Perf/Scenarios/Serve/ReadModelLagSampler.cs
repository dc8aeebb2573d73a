using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Serve;

/// <summary>
/// Samples the read model's position and lag from a running <c>wallet serve</c> (<c>GET /v1/readmodel</c>: lag in
/// log records (commands), its age in ledger time, how long the view has been behind, events applied) every <see cref="IntervalMs"/> while a load phase runs, on its own thread. Reports the
/// maximum and mean lag and the apply rate (events applied per second over the phase), then how long the view took
/// to catch up after the load stopped. A failed poll is counted, not fatal: the lag figures say how many samples
/// they rest on.
/// </summary>
internal sealed class ReadModelLagSampler : IAsyncDisposable
{
    public const int IntervalMs = 100;

    /// <summary>After the load, the view gets this long to reach the journal's end before we report it as still behind.</summary>
    public static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly Uri _uri;

    public ReadModelLagSampler(int httpPort, string user, string password)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { Timeout = TimeSpan.FromSeconds(5) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", user + ":" + password);
        _uri = new Uri($"http://127.0.0.1:{httpPort}/v1/readmodel");
    }

    /// <summary>One reading of <c>GET /v1/readmodel</c>.</summary>
    public readonly record struct Reading(long LagEvents, long LagMs, long AgeMs, long EventsApplied, long Index, long JournalIndex);

    /// <summary>Synchronous on purpose: the sampler has its own thread, so a thread pool saturated by the load cannot starve it.</summary>
    public Reading Read()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        using HttpResponseMessage response = _http.Send(request);
        response.EnsureSuccessStatusCode();
        using Stream body = response.Content.ReadAsStream();
        using JsonDocument doc = JsonDocument.Parse(body);
        JsonElement root = doc.RootElement;
        return new Reading(root.GetProperty("lag_events").GetInt64(), root.GetProperty("lag_ms").GetInt64(), root.GetProperty("lag_age_ms").GetInt64(),
            root.GetProperty("events_applied").GetInt64(), root.GetProperty("index").GetInt64(), root.GetProperty("journal_index").GetInt64());
    }

    /// <summary>Starts sampling; dispose the returned phase (or call <see cref="Phase.StopAsync"/>) when the load stops.</summary>
    public Phase Start(string group) => new(this, group);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>One sampled load phase.</summary>
    internal sealed class Phase
    {
        private readonly ReadModelLagSampler _sampler;
        private readonly ManualResetEventSlim _stop = new();
        private readonly Thread _loop;
        private long _samples, _failures, _maxLagEvents, _maxLagMs, _sumLagEvents, _sumLagMs, _maxAgeMs, _sumAgeMs;
        private Reading? _first, _last;
        private long _firstTicks, _lastTicks;

        public Phase(ReadModelLagSampler sampler, string group)
        {
            _sampler = sampler;
            Group = group;
            _loop = new Thread(Loop) { IsBackground = true, Name = "read-model lag sampler" };
            _loop.Start();
        }

        public string Group { get; }

        private void Loop()
        {
            while (!_stop.IsSet)
            {
                try
                {
                    Reading r = _sampler.Read();
                    long now = Stopwatch.GetTimestamp();
                    if (_first is null)
                    {
                        _first = r;
                        _firstTicks = now;
                    }
                    _last = r;
                    _lastTicks = now;
                    _samples++;
                    _sumLagEvents += r.LagEvents;
                    _sumLagMs += r.LagMs;
                    _maxLagEvents = Math.Max(_maxLagEvents, r.LagEvents);
                    _maxLagMs = Math.Max(_maxLagMs, r.LagMs);
                    _sumAgeMs += r.AgeMs;
                    _maxAgeMs = Math.Max(_maxAgeMs, r.AgeMs);
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or TaskCanceledException or IOException)
                {
                    _failures++;
                }
                _stop.Wait(IntervalMs);
            }
        }

        /// <summary>Stops sampling, waits for the view to catch up (bounded), and reports into <paramref name="result"/>.</summary>
        public async Task StopAsync(ScenarioResult result, TextWriter log)
        {
            long loadEnd = Stopwatch.GetTimestamp();
            _stop.Set();
            // The thread's figures are read after Join: no torn reads. Bounded by the HTTP timeout (5 s).
            await Task.Run(() => _loop.Join()).ConfigureAwait(false);
            _stop.Dispose();
            result.Add(Group, "read-model lag samples", _samples, "samples");
            if (_failures > 0) result.Add(Group, "read-model lag polls failed", _failures, "polls");
            if (_samples == 0) return;
            result.Add(Group, "read-model lag max", _maxLagEvents, "log records");
            result.Add(Group, "read-model lag mean", (double)_sumLagEvents / _samples, "log records");
            // Age: ledger time of the journal's newest record minus the view's newest — how stale a view answer is.
            result.Add(Group, "read-model age max", _maxAgeMs, "ms");
            result.Add(Group, "read-model age mean", (double)_sumAgeMs / _samples, "ms");
            // Behind: how long the view had not been fully caught up when sampled (grows for as long as a stream lasts).
            result.Add(Group, "read-model behind max", _maxLagMs, "ms");
            result.Add(Group, "read-model behind mean", (double)_sumLagMs / _samples, "ms");
            if (_first is { } first && _last is { } last && _lastTicks > _firstTicks && _samples >= 2)
            {
                double seconds = Pacing.TicksToSeconds(_lastTicks - _firstTicks);
                result.Add(Group, "read-model apply rate during the load", (last.EventsApplied - first.EventsApplied) / seconds, "events/s");
            }
            // Catch-up: poll until the view reaches the journal's end as it was when the load stopped.
            long deadline = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(CatchUpLimit.TotalSeconds);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                Reading r;
                try
                {
                    r = await Task.Run(_sampler.Read).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException or IOException or InvalidOperationException)
                {
                    await Task.Delay(IntervalMs).ConfigureAwait(false);
                    continue;
                }
                if (r.LagEvents == 0)
                {
                    long caughtUp = Stopwatch.GetTimestamp();
                    result.Add(Group, "read-model catch-up after the load", Pacing.TicksToSeconds(caughtUp - loadEnd) * 1000, "ms");
                    // The sustained rate: everything applied from the first sample to caught up (polls under a
                    // saturating load can be too few to give a rate during the load itself).
                    if (_first is { } start && caughtUp > _firstTicks)
                        result.Add(Group, "read-model apply rate, first sample → caught up", (r.EventsApplied - start.EventsApplied) / Pacing.TicksToSeconds(caughtUp - _firstTicks), "events/s");
                    return;
                }
                await Task.Delay(IntervalMs).ConfigureAwait(false);
            }
            result.Note($"{Group}: the read model was still behind {CatchUpLimit.TotalSeconds} s after the load stopped");
            log.WriteLine($"[{Group}] read model still behind after {CatchUpLimit.TotalSeconds} s");
        }
    }
}
