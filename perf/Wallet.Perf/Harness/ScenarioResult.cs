using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace Wallet.Perf.Harness;

/// <summary>Figures a scenario produced: (group, name, value, unit) rows plus free-text notes. Printed as a table and optionally as JSON.</summary>
internal sealed class ScenarioResult
{
    public ScenarioResult(string scenario)
    {
        Scenario = scenario;
    }

    public string Scenario { get; }

    public List<Metric> Metrics { get; } = [];

    public List<string> Notes { get; } = [];

    public void Add(string group, string name, double value, string unit) => Metrics.Add(new Metric(group, name, value, unit));

    /// <summary>Latency histograms (ns) by run name, kept for <see cref="WriteHgrm"/>.</summary>
    public List<KeyValuePair<string, HistogramBase>> Histograms { get; } = [];

    public void Note(string note) => Notes.Add(note);

    public void AddHistogram(string run, HistogramBase histogram) => Histograms.Add(new(run, histogram));

    /// <summary>Latency runs with their group (for the JSON summary and the plots); filled by <see cref="LatencyRecorder.Report"/>.</summary>
    public List<LatencyRun> LatencyRuns { get; } = [];

    /// <summary>Completions per interval, one per load phase that records them (throughput-over-time plot).</summary>
    public List<ThroughputTimeline> Timelines { get; } = [];

    /// <summary>Rate sweeps run by this scenario (one per mode).</summary>
    public List<SweepOutcome> Sweeps { get; } = [];

    /// <summary>The first metric of <paramref name="group"/> whose unit is a rate ("…/s"), or null.</summary>
    public double? ThroughputOf(string group)
    {
        foreach (Metric m in Metrics)
        {
            if (m.Group == group && m.Unit.EndsWith("/s", StringComparison.Ordinal)) return m.Value;
        }
        return null;
    }

    /// <summary>The .hgrm file name <see cref="WriteHgrm"/> gives a run.</summary>
    public string HgrmFileName(string run) => FileName(Scenario + "_" + run) + ".hgrm";

    /// <summary>
    /// Writes one HdrHistogram percentile-distribution file per latency run into <paramref name="directory"/>, named
    /// <c>scenario_run.hgrm</c>. Values are in milliseconds (the unit HdrHistogram's plotters assume); the recorded
    /// unit is ns, so the scaling ratio is 1e6. Returns the paths written.
    /// </summary>
    public List<string> WriteHgrm(string directory)
    {
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (KeyValuePair<string, HistogramBase> h in Histograms)
        {
            string path = Path.Combine(directory, HgrmFileName(h.Key));
            using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)))
            {
                h.Value.OutputPercentileDistribution(writer, percentileTicksPerHalfDistance: 5, outputValueUnitScalingRatio: 1_000_000.0);
            }
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>Run names carry spaces, slashes and commas ("open loop 1,000/s latency"): keep [A-Za-z0-9.-], map the rest to '_'.</summary>
    internal static string FileName(string run)
    {
        var sb = new StringBuilder(run.Length);
        foreach (char c in run)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-') sb.Append(c);
            else if (c == ',') continue;
            else if (sb.Length > 0 && sb[^1] != '_') sb.Append('_');
        }
        return sb.ToString().TrimEnd('_');
    }

    public void WriteTable(TextWriter output)
    {
        ConsoleTable table = new("group", "metric", "value", "unit");
        foreach (Metric m in Metrics)
        {
            table.AddRow(m.Group, m.Name, Format(m.Value), m.Unit);
        }
        table.Write(output);
        foreach (string note in Notes)
        {
            output.WriteLine($"note: {note}");
        }
    }

    public void WriteJson(string path, PerfOptions options)
    {
        using FileStream file = File.Create(path);
        using Utf8JsonWriter json = new(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("scenario", Scenario);
        json.WriteString("utc", DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteNumber("processorCount", Environment.ProcessorCount);
        json.WriteStartObject("options");
        json.WriteNumber("durationS", options.DurationS);
        json.WriteNumber("warmupS", options.WarmupS);
        json.WriteNumber("rate", options.Rate);
        json.WriteString("wait", options.Wait is { } w ? WaitKinds.Name(w) : "default");
        json.WriteNumber("batch", options.Batch);
        json.WriteNumber("seed", options.Seed);
        foreach (KeyValuePair<string, string> extra in options.Extras)
        {
            json.WriteString(extra.Key.TrimStart('-'), extra.Value);
        }
        json.WriteEndObject();
        json.WriteStartArray("metrics");
        foreach (Metric m in Metrics)
        {
            json.WriteStartObject();
            json.WriteString("group", m.Group);
            json.WriteString("name", m.Name);
            json.WriteNumber("value", m.Value);
            json.WriteString("unit", m.Unit);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("notes");
        foreach (string n in Notes)
        {
            json.WriteStringValue(n);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string Format(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("N2", System.Globalization.CultureInfo.InvariantCulture);
}

internal sealed record Metric(string Group, string Name, double Value, string Unit);

/// <summary>One latency histogram (ns) with the group and recorder name it was reported under.</summary>
internal sealed record LatencyRun(string Group, string Name, HistogramBase Histogram)
{
    public string Run => Group + " " + Name;
}
