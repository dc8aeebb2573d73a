using System.Diagnostics;
using HdrHistogram;

namespace Wallet.Perf.Harness;

/// <summary>
/// Single-writer latency histogram. Unit: nanoseconds (values are converted from <see cref="Stopwatch"/> ticks at
/// record time; on Linux a tick is already 1 ns). Range 1 ns .. <see cref="HighestTrackableNs"/> with 3 significant
/// digits; larger values are clamped and counted in <see cref="ClampedCount"/>. Recording does not allocate.
/// Not thread-safe: one recorder per recording thread; read it after that thread has finished.
/// </summary>
internal sealed class LatencyRecorder
{
    /// <summary>60 s: anything slower than this is a stall worth seeing as "max", not a value to resolve.</summary>
    public const long HighestTrackableNs = 60_000_000_000;

    private static readonly double NsPerTick = 1_000_000_000.0 / Stopwatch.Frequency;

    private readonly LongHistogram _histogram = new(HighestTrackableNs, 3);

    public LatencyRecorder(string name)
    {
        Name = name;
        // The first RecordValue runs HdrHistogram's lazy static initialisation (about 1 KB); do it here, on the
        // constructing thread, so the recording thread's steady state allocates nothing.
        _histogram.RecordValue(1);
        _histogram.Reset();
    }

    public string Name { get; }

    public long ClampedCount { get; private set; }

    public long Count => _histogram.TotalCount;

    /// <summary>Records a duration given in <see cref="Stopwatch"/> ticks (negative values count as 0).</summary>
    public void RecordTicks(long elapsedTicks)
    {
        long ns = elapsedTicks <= 0 ? 0 : (long)(elapsedTicks * NsPerTick);
        RecordNs(ns);
    }

    public void RecordNs(long ns)
    {
        if (ns > HighestTrackableNs)
        {
            ns = HighestTrackableNs;
            ClampedCount++;
        }
        _histogram.RecordValue(ns < 0 ? 0 : ns);
    }

    /// <summary>Percentile value in ns (e.g. 99.9).</summary>
    public long PercentileNs(double percentile) => Count == 0 ? 0 : _histogram.GetValueAtPercentile(percentile);

    public long MaxNs => Count == 0 ? 0 : _histogram.GetMaxValue();

    public double MeanNs => Count == 0 ? 0 : _histogram.GetMean();

    /// <summary>Adds p50/p90/p99/p99.9/p99.99/max (ns) and the sample count to <paramref name="result"/> under <paramref name="group"/>.</summary>
    public void Report(ScenarioResult result, string group)
    {
        // A copy, so the result can write the .hgrm file later (--hgrm-dir) whatever happens to this recorder.
        HistogramBase copy = _histogram.Copy();
        result.AddHistogram(group + " " + Name, copy);
        result.LatencyRuns.Add(new LatencyRun(group, Name, copy));
        result.Add(group, $"{Name} count", Count, "samples");
        result.Add(group, $"{Name} p50", PercentileNs(50), "ns");
        result.Add(group, $"{Name} p90", PercentileNs(90), "ns");
        result.Add(group, $"{Name} p99", PercentileNs(99), "ns");
        result.Add(group, $"{Name} p99.9", PercentileNs(99.9), "ns");
        result.Add(group, $"{Name} p99.99", PercentileNs(99.99), "ns");
        result.Add(group, $"{Name} max", MaxNs, "ns");
        if (ClampedCount > 0)
        {
            result.Add(group, $"{Name} clamped", ClampedCount, "samples");
        }
    }
}
