using System.Diagnostics;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// The platform's own stalls, jHiccup-style: one thread asks to wake every --interval-us and records how late each
/// wake-up is (HdrHistogram). Nothing of the wallet runs. What it shows is the floor under every latency figure of
/// this machine: a request cannot be answered faster than the threads on its path get a core back, and a p99 of a
/// benchmark here cannot be read without this p99 beside it. Run it alone (quiet machine) and next to a load
/// (e.g. while `e2e` runs) to see how much of a tail is the scheduler's.
/// </summary>
internal sealed class HiccupScenario : IScenario
{
    public string Name => "hiccup";

    public string Description => "platform stalls: a thread wakes every --interval-us and records how late (no wallet code runs)";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--interval-us", "wake-up interval in µs, [50, 100000]", "1000"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        long intervalUs = options.ExtraLong("--interval-us", 1000, 50, 100_000);
        var result = new ScenarioResult(Name);
        result.Note($"one thread, absolute-deadline sleeps (clock_nanosleep, timer slack 1 ns) every {intervalUs} µs; lateness = wake-up − deadline; {Environment.ProcessorCount} cores");
        long intervalTicks = intervalUs * Stopwatch.Frequency / 1_000_000;
        foreach ((string group, double seconds, bool record) in new[] { ("warm-up", options.WarmupS, false), ("hiccups", options.DurationS, true) })
        {
            if (seconds <= 0) continue;
            log.WriteLine($"[hiccup] {group}: {seconds}s, a wake-up every {intervalUs} µs");
            var recorder = new LatencyRecorder("lateness");
            long start = Stopwatch.GetTimestamp();
            long count = Math.Max(1, (long)(seconds * 1_000_000 / intervalUs));
            for (long i = 1; i <= count; i++)
            {
                long deadline = start + i * intervalTicks;
                PreciseSleep.Until(deadline);
                if (record) recorder.RecordTicks(Stopwatch.GetTimestamp() - deadline);
            }
            if (record)
            {
                result.Add(group, "wake-ups", recorder.Count, "samples");
                recorder.Report(result, group);
            }
        }
        return result;
    }
}
