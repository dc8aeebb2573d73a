using System.Diagnostics;
using System.Text.Json;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Tests;

public sealed class RunSetOutputTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "perf-tests-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static ScenarioResult Sample(string scenario, long baseNs)
    {
        var result = new ScenarioResult(scenario);
        var recorder = new LatencyRecorder("latency");
        for (int i = 1; i <= 10_000; i++) recorder.RecordNs(baseNs * i / 1000); // uniform from baseNs/1000 to 10 × baseNs
        result.Add("open loop 1,000/s", "completed rate", 999.5, "tx/s");
        recorder.Report(result, "open loop 1,000/s");
        long start = Stopwatch.GetTimestamp();
        var timeline = new ThroughputTimeline("open loop 1,000/s", start, intervalMs: 100, expectedSeconds: 1);
        for (int b = 0; b < 10; b++) timeline.Record(start + b * Stopwatch.Frequency / 10 + 1, 100);
        result.Timelines.Add(timeline);
        RateSweep.Report(new SweepOutcome(scenario, 5000, 4000, [new SweepProbe(4000, 3990, 4_000_000, 0), new SweepProbe(8000, 6000, 90_000_000, 0)], "bracketed"), result);
        return result;
    }

    [Fact]
    public void Writes_table_hgrm_summary_json_and_plots_with_the_figures_of_each_run()
    {
        ScenarioResult e2e = Sample("e2e", 1_000_000);
        ScenarioResult redis = Sample("baseline-redis", 3_000_000);
        ScenarioOutcome[] outcomes =
        [
            new("e2e", OutcomeStatus.Ok, e2e, null, ["--rates", "1000"], 12.5, null),
            new("baseline-redis", OutcomeStatus.Ok, redis, null, [], 3, null),
            new("saga", OutcomeStatus.Skipped, null, null, [], 0, "not registered in this build"),
        ];
        List<string> written = new RunSetOutput(_dir).Write(outcomes, ["all", "--quick"], "1 2 3", "4 5 6");

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir, "summary.json")));
        JsonElement root = doc.RootElement;
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("machine").GetProperty("processorCount").GetInt32());
        Assert.Equal("1 2 3", root.GetProperty("machine").GetProperty("loadAverageBefore").GetString());
        Assert.Equal("--quick", root.GetProperty("commandLine")[1].GetString());
        JsonElement scenarios = root.GetProperty("scenarios");
        Assert.Equal(3, scenarios.GetArrayLength());
        Assert.Equal("skipped", scenarios[2].GetProperty("status").GetString());
        JsonElement run = scenarios[0].GetProperty("runs")[0];
        Assert.Equal(10_000, run.GetProperty("count").GetInt64());
        Assert.Equal(999.5, run.GetProperty("throughputPerS").GetDouble());
        // Uniform 1 µs .. 10 ms: p50 ≈ 5 ms, p99 ≈ 9.9 ms (HdrHistogram: 3 significant digits).
        Assert.InRange(run.GetProperty("p50Us").GetDouble(), 4_990, 5_010);
        Assert.InRange(run.GetProperty("p99Us").GetDouble(), 9_890, 9_910);
        Assert.InRange(run.GetProperty("maxUs").GetDouble(), 9_990, 10_010);
        Assert.True(File.Exists(Path.Combine(_dir, run.GetProperty("hgrm").GetString()!)));
        JsonElement sweep = scenarios[0].GetProperty("sweeps")[0];
        Assert.Equal(4000, sweep.GetProperty("maxSustainablePerS").GetInt64());
        Assert.False(sweep.GetProperty("probes")[1].GetProperty("passed").GetBoolean());
        JsonElement rates = scenarios[0].GetProperty("timelines")[0].GetProperty("ratesPerS");
        Assert.Equal(10, rates.GetArrayLength());
        Assert.Equal(1000, rates[3].GetDouble());

        foreach (string png in (string[])["percentiles_e2e.png", "percentiles_baseline-redis.png", "percentiles_services.png", "throughput_e2e.png"])
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(_dir, png));
            Assert.True(bytes.Length > 5_000, png + " is too small to hold a chart");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
            Assert.Contains(png, root.GetProperty("plots").EnumerateArray().Select(p => p.GetString()));
        }
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(_dir, "percentiles_services.svg")), StringComparison.Ordinal);
        string table = File.ReadAllText(Path.Combine(_dir, "table.txt"));
        Assert.Contains("baseline-redis", table, StringComparison.Ordinal);
        Assert.Contains("max rate with p99 ≤ 5,000 µs", table, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_dir, "summary.json"), written);
    }

    [Fact]
    public void The_percentile_curve_is_monotonic_and_ends_at_the_max()
    {
        var recorder = new LatencyRecorder("x");
        for (int i = 1; i <= 1000; i++) recorder.RecordNs(i * 1000L);
        var result = new ScenarioResult("s");
        recorder.Report(result, "g");
        (double[] x, double[] y) = PercentilePlot.Curve(result.LatencyRuns[0].Histogram);
        Assert.Equal(0, x[0]);
        Assert.Equal(3, x[^1], 6); // log10(1000 samples): the resolution limit
        for (int i = 1; i < y.Length; i++) Assert.True(y[i] >= y[i - 1]);
        Assert.Equal(Math.Log10(recorder.MaxNs), y[^1], 6);
        Assert.Equal("99.9%", PercentilePlot.NinesLabel(3));
        Assert.Equal("90%", PercentilePlot.NinesLabel(1));
        Assert.Equal("10 ms", PercentilePlot.NsLabel(7));
    }

    [Fact]
    public void Timeline_counts_land_in_their_interval_and_late_ones_overflow()
    {
        long start = 1_000_000;
        var t = new ThroughputTimeline("t", start, intervalMs: 100, expectedSeconds: 0.1);
        long interval = Stopwatch.Frequency / 10;
        t.Record(start + interval / 2);
        t.Record(start + interval * 2 + 1, 5);
        t.Record(start + interval * 100_000);
        Assert.Equal([10.0, 0, 50], t.RatesPerSecond());
        Assert.Equal(1, t.Overflow);
        Assert.Equal(7, t.Total());
    }

    [Fact]
    public void A_real_ring_run_writes_its_output_set()
    {
        IScenario ring = ScenarioRegistry.Find("ring")!;
        string[] args = ["ring", "--topology", "1p1c", "--wait", "blocking", "--duration-s", "0.2", "--warmup-s", "0", "--rate", "20000", "--out-dir", _dir];
        PerfOptions options = PerfOptions.Parse(args[1..], ring);
        int exit = Program.RunOne(ring, options, args, TextWriter.Null);
        Assert.Equal(0, exit);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir, "summary.json")));
        JsonElement scenario = doc.RootElement.GetProperty("scenarios")[0];
        Assert.Equal("ok", scenario.GetProperty("status").GetString());
        JsonElement run = scenario.GetProperty("runs")[0];
        Assert.True(run.GetProperty("count").GetInt64() > 1000);
        Assert.True(run.GetProperty("p99Us").GetDouble() >= run.GetProperty("p50Us").GetDouble());
        Assert.True(File.Exists(Path.Combine(_dir, "percentiles_ring.png")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dir, "hgrm"), "*.hgrm"));
    }
}
