using System.Globalization;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace Wallet.Perf.Harness;

/// <summary>
/// Writes a run set (one scenario, or every scenario of <c>all</c>) into a directory:
/// <list type="bullet">
/// <item><c>table.txt</c> — the console tables, one per scenario, after a one-line-per-latency-run overview;</item>
/// <item><c>hgrm/*.hgrm</c> — every latency run's HdrHistogram percentile distribution (values in ms);</item>
/// <item><c>summary.json</c> — machine, command line, and per scenario: status, options, every metric, every latency
/// run (throughput, p50/p90/p99/p99.9/p99.99/max in µs), the sweeps and the timelines;</item>
/// <item><c>percentiles_*.png/.svg</c> — percentile distributions, runs overlaid (one chart per scenario, plus one with
/// the service-level runs of e2e, http and the baselines together); <c>throughput_*.png/.svg</c> — throughput over time.</item>
/// </list>
/// </summary>
internal sealed class RunSetOutput
{
    /// <summary>Lines per chart: beyond this a chart is unreadable, so the rest are left out (and the note says so).</summary>
    public const int MaxLinesPerChart = 10;

    /// <summary>Scenarios whose latency runs share the "service" comparison chart (same transfer, different servers).</summary>
    private static readonly string[] s_serviceScenarios = ["e2e", "http", "baseline-postgres", "baseline-redis", "replicated", "fix"];

    private readonly string _directory;

    public RunSetOutput(string directory)
    {
        _directory = directory;
    }

    /// <summary>Writes everything; returns the paths written (for the console).</summary>
    public List<string> Write(IReadOnlyList<ScenarioOutcome> outcomes, IReadOnlyList<string> commandLine, string loadBefore, string loadAfter, bool svg = true)
    {
        Directory.CreateDirectory(_directory);
        var written = new List<string>();
        string hgrmDir = Path.Combine(_directory, "hgrm");
        foreach (ScenarioOutcome o in outcomes)
        {
            if (o.Result is { Histograms.Count: > 0 } r) written.AddRange(r.WriteHgrm(hgrmDir));
        }
        List<string> plots = WritePlots(outcomes, svg);
        written.AddRange(plots);
        string table = Path.Combine(_directory, "table.txt");
        using (var writer = new StreamWriter(table, append: false, new UTF8Encoding(false)))
        {
            WriteTable(outcomes, writer, loadBefore, loadAfter);
        }
        written.Add(table);
        string summary = Path.Combine(_directory, "summary.json");
        WriteSummary(summary, outcomes, commandLine, loadBefore, loadAfter, plots);
        written.Add(summary);
        return written;
    }

    /// <summary>The overview (one row per latency run and per sweep), then each scenario's full table.</summary>
    public static void WriteTable(IReadOnlyList<ScenarioOutcome> outcomes, TextWriter output, string loadBefore, string loadAfter)
    {
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {MachineInfo.CpuModel()}, {MachineInfo.Runtime()}; load average before {loadBefore}, after {loadAfter}");
        output.WriteLine();
        ConsoleTable overview = new("scenario", "run", "throughput/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "p99.99 µs", "max µs");
        foreach (ScenarioOutcome o in outcomes)
        {
            if (o.Result is null)
            {
                overview.AddRow(o.Scenario, o.Status == OutcomeStatus.Skipped ? "skipped" : "FAILED", "", "", "", "", "", "", "");
                continue;
            }
            foreach (LatencyRun run in o.Result.LatencyRuns)
            {
                HistogramBase h = run.Histogram;
                double? tps = o.Result.ThroughputOf(run.Group);
                overview.AddRow(o.Scenario, run.Run, tps is { } t ? F(t) : "", Us(h, 50), Us(h, 90), Us(h, 99), Us(h, 99.9), Us(h, 99.99), F(h.TotalCount == 0 ? 0 : h.GetMaxValue() / 1000.0));
            }
            foreach (SweepOutcome s in o.Result.Sweeps)
            {
                overview.AddRow(o.Scenario, $"{s.Mode}: max rate with p99 ≤ {s.BoundUs:N0} µs", F(s.MaxSustainablePerS), "", "", "", "", "", "");
            }
        }
        overview.Write(output);
        foreach (ScenarioOutcome o in outcomes)
        {
            output.WriteLine();
            output.WriteLine($"== {o.Scenario}: {o.Status.ToString().ToLowerInvariant()} after {o.ElapsedS:N1} s; arguments: {string.Join(' ', o.Arguments)}");
            if (o.Error is not null) output.WriteLine($"error: {o.Error}");
            o.Result?.WriteTable(output);
        }
    }

    private List<string> WritePlots(IReadOnlyList<ScenarioOutcome> outcomes, bool svg)
    {
        var written = new List<string>();
        var service = new List<(string, HistogramBase)>();
        foreach (ScenarioOutcome o in outcomes)
        {
            if (o.Result is null) continue;
            string stem = ScenarioResult.FileName(o.Scenario);
            var runs = new List<(string, HistogramBase)>();
            foreach (LatencyRun run in o.Result.LatencyRuns)
            {
                if (run.Histogram.TotalCount == 0) continue;
                if (runs.Count < MaxLinesPerChart) runs.Add((run.Run, run.Histogram));
                if (Array.IndexOf(s_serviceScenarios, o.Scenario) >= 0 && service.Count < MaxLinesPerChart) service.Add((o.Scenario + ": " + run.Run, run.Histogram));
            }
            if (runs.Count > 0) written.AddRange(Save("percentiles_" + stem, svg, (png, s) => PercentilePlot.Save($"{o.Scenario}: latency by percentile", runs, png, s)));
            var timelines = new List<ThroughputTimeline>();
            foreach (ThroughputTimeline t in o.Result.Timelines)
            {
                if (timelines.Count < MaxLinesPerChart && t.RatesPerSecond().Length > 0) timelines.Add(t);
            }
            if (timelines.Count > 0) written.AddRange(Save("throughput_" + stem, svg, (png, s) => ThroughputPlot.Save($"{o.Scenario}: throughput over time", timelines, png, s)));
        }
        if (service.Count > 1)
        {
            written.AddRange(Save("percentiles_services", svg, (png, s) => PercentilePlot.Save("one transfer per request: engine vs baselines, latency by percentile", service, png, s)));
        }
        return written;
    }

    private List<string> Save(string stem, bool svg, Action<string, string?> draw)
    {
        string png = Path.Combine(_directory, stem + ".png");
        string? svgPath = svg ? Path.Combine(_directory, stem + ".svg") : null;
        draw(png, svgPath);
        return svgPath is null ? [png] : [png, svgPath];
    }

    private static void WriteSummary(string path, IReadOnlyList<ScenarioOutcome> outcomes, IReadOnlyList<string> commandLine, string loadBefore, string loadAfter, List<string> plots)
    {
        using FileStream file = File.Create(path);
        using Utf8JsonWriter json = new(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("utc", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        json.WriteStartArray("commandLine");
        foreach (string a in commandLine) json.WriteStringValue(a);
        json.WriteEndArray();
        json.WriteStartObject("machine");
        json.WriteNumber("processorCount", Environment.ProcessorCount);
        json.WriteString("cpu", MachineInfo.CpuModel());
        json.WriteNumber("memoryBytes", MachineInfo.TotalMemoryBytes());
        json.WriteString("os", MachineInfo.Os());
        json.WriteString("runtime", MachineInfo.Runtime());
        json.WriteString("loadAverageBefore", loadBefore);
        json.WriteString("loadAverageAfter", loadAfter);
        json.WriteEndObject();
        json.WriteStartArray("scenarios");
        foreach (ScenarioOutcome o in outcomes) WriteScenario(json, o);
        json.WriteEndArray();
        json.WriteStartArray("plots");
        foreach (string p in plots) json.WriteStringValue(Path.GetFileName(p));
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteScenario(Utf8JsonWriter json, ScenarioOutcome o)
    {
        json.WriteStartObject();
        json.WriteString("scenario", o.Scenario);
        json.WriteString("status", o.Status.ToString().ToLowerInvariant());
        json.WriteNumber("elapsedS", Math.Round(o.ElapsedS, 3));
        if (o.Error is not null) json.WriteString("error", o.Error);
        json.WriteStartArray("arguments");
        foreach (string a in o.Arguments) json.WriteStringValue(a);
        json.WriteEndArray();
        if (o.Options is { } options)
        {
            json.WriteStartObject("parameters");
            json.WriteNumber("durationS", options.DurationS);
            json.WriteNumber("warmupS", options.WarmupS);
            json.WriteNumber("rate", options.Rate);
            json.WriteNumber("batch", options.Batch);
            json.WriteNumber("seed", options.Seed);
            if (options.SweepP99BoundUs is { } bound) json.WriteNumber("sweepP99BoundUs", bound);
            foreach (KeyValuePair<string, string> extra in options.Extras) json.WriteString(extra.Key.TrimStart('-'), extra.Value);
            json.WriteEndObject();
        }
        if (o.Result is { } r)
        {
            json.WriteStartArray("runs");
            foreach (LatencyRun run in r.LatencyRuns)
            {
                HistogramBase h = run.Histogram;
                json.WriteStartObject();
                json.WriteString("run", run.Run);
                json.WriteString("group", run.Group);
                json.WriteNumber("count", h.TotalCount);
                if (r.ThroughputOf(run.Group) is { } tps) json.WriteNumber("throughputPerS", Math.Round(tps, 1));
                else json.WriteNull("throughputPerS");
                json.WriteNumber("p50Us", UsValue(h, 50));
                json.WriteNumber("p90Us", UsValue(h, 90));
                json.WriteNumber("p99Us", UsValue(h, 99));
                json.WriteNumber("p999Us", UsValue(h, 99.9));
                json.WriteNumber("p9999Us", UsValue(h, 99.99));
                json.WriteNumber("maxUs", h.TotalCount == 0 ? 0 : h.GetMaxValue() / 1000.0);
                json.WriteString("hgrm", "hgrm/" + r.HgrmFileName(run.Run));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("sweeps");
            foreach (SweepOutcome s in r.Sweeps)
            {
                json.WriteStartObject();
                json.WriteString("mode", s.Mode);
                json.WriteNumber("p99BoundUs", s.BoundUs);
                json.WriteNumber("maxSustainablePerS", s.MaxSustainablePerS);
                json.WriteString("stopReason", s.StopReason);
                json.WriteStartArray("probes");
                foreach (SweepProbe p in s.Probes)
                {
                    json.WriteStartObject();
                    json.WriteNumber("offeredPerS", p.OfferedPerS);
                    json.WriteNumber("completedPerS", Math.Round(p.CompletedPerS, 1));
                    json.WriteNumber("p99Us", p.P99Ns / 1000.0);
                    json.WriteNumber("failed", p.Failed);
                    json.WriteBoolean("passed", RateSweep.Passes(p, s.BoundUs));
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("timelines");
            foreach (ThroughputTimeline t in r.Timelines)
            {
                json.WriteStartObject();
                json.WriteString("name", t.Name);
                json.WriteNumber("intervalMs", t.IntervalMs);
                json.WriteStartArray("ratesPerS");
                foreach (double v in t.RatesPerSecond()) json.WriteNumberValue(v);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("metrics");
            foreach (Metric m in r.Metrics)
            {
                json.WriteStartObject();
                json.WriteString("group", m.Group);
                json.WriteString("name", m.Name);
                json.WriteNumber("value", double.IsFinite(m.Value) ? m.Value : 0);
                json.WriteString("unit", m.Unit);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("notes");
            foreach (string n in r.Notes) json.WriteStringValue(n);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static double UsValue(HistogramBase h, double percentile) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;

    private static string Us(HistogramBase h, double percentile) => F(UsValue(h, percentile));

    private static string F(double v) => v >= 100
        ? v.ToString("N0", CultureInfo.InvariantCulture)
        : v.ToString("0.##", CultureInfo.InvariantCulture);
}
