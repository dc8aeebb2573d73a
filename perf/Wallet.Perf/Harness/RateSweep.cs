using System.Globalization;

namespace Wallet.Perf.Harness;

/// <summary>What one sweep probe saw at one offered rate.</summary>
/// <param name="OfferedPerS">The schedule's rate.</param>
/// <param name="CompletedPerS">Completions per second over the probe (including its drain).</param>
/// <param name="P99Ns">p99 latency from the intended send time.</param>
/// <param name="Failed">Requests that failed, were rejected or were abandoned.</param>
internal readonly record struct SweepProbe(long OfferedPerS, double CompletedPerS, long P99Ns, long Failed);

/// <summary>The sweep's answer: the highest sustainable rate seen (0 = not even the start rate) and every probe in order.</summary>
internal sealed record SweepOutcome(string Mode, long BoundUs, long MaxSustainablePerS, IReadOnlyList<SweepProbe> Probes, string StopReason);

/// <summary>
/// Finds the highest offered rate a system sustains under a p99 bound: doubling from the start rate until a probe
/// fails (halving instead if the start rate already fails), then bisection between the last good and the first bad rate until they are within 10 % or the probe budget
/// is spent. A probe passes when p99 ≤ bound, nothing failed, and the completed rate kept up with the offered one
/// (≥ 90 %: a system that falls behind would otherwise look fast by answering fewer). Every probe is an open-loop,
/// coordinated-omission-corrected run supplied by the scenario; the number of probes is bounded, so a sweep always ends.
/// </summary>
internal static class RateSweep
{
    /// <summary>Bisection stops when the bad rate is within this ratio of the good one.</summary>
    public const double Resolution = 1.10;

    /// <summary>The least share of the offered rate that must complete.</summary>
    public const double MinCompletedShare = 0.90;

    /// <summary>A probe's p99 rests on at least this many samples (else one slow request decides it).</summary>
    public const int MinSamplesPerProbe = 200;

    /// <summary>Longest a low-rate probe is stretched to reach <see cref="MinSamplesPerProbe"/>.</summary>
    public const double MaxProbeSeconds = 10;

    /// <summary>The probe's measured length: the phase length, stretched at low rates so the p99 has enough samples.</summary>
    public static double ProbeSeconds(long rate, double durationS) =>
        Math.Max(durationS, Math.Min(MaxProbeSeconds, (double)MinSamplesPerProbe / Math.Max(1, rate)));

    public static bool Passes(SweepProbe probe, long boundUs) =>
        probe.P99Ns <= boundUs * 1000 && probe.Failed == 0 && probe.CompletedPerS >= probe.OfferedPerS * MinCompletedShare;

    /// <summary>Synchronous probes (thread-based load, e.g. the baselines).</summary>
    public static SweepOutcome Run(string mode, PerfOptions options, Func<long, SweepProbe> probeAt, TextWriter log) =>
        RunAsync(mode, options, rate => Task.FromResult(probeAt(rate)), log).GetAwaiter().GetResult();

    /// <summary>Asynchronous probes (the SDK and HTTP loads, which must not block a pool thread).</summary>
    public static Task<SweepOutcome> RunAsync(string mode, PerfOptions options, Func<long, Task<SweepProbe>> probeAt, TextWriter log)
    {
        long bound = options.SweepP99BoundUs ?? throw new InvalidOperationException("no sweep bound given");
        return RunAsync(mode, bound, options.SweepStartRate, options.SweepMaxRate, options.SweepMaxSteps, probeAt, log);
    }

    public static async Task<SweepOutcome> RunAsync(string mode, long boundUs, long startRate, long maxRate, int maxSteps, Func<long, Task<SweepProbe>> probeAt, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(probeAt);
        if (startRate < 1 || maxRate < startRate || maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(startRate), "need 1 <= start <= max and at least one step");
        var probes = new List<SweepProbe>();
        long good = 0, bad = 0;
        long rate = startRate;
        string reason;
        // Phase 1: double until a probe fails or the cap is reached.
        while (true)
        {
            if (probes.Count >= maxSteps)
            {
                reason = "probe budget spent while doubling";
                return Finish(mode, boundUs, good, probes, reason, log);
            }
            SweepProbe probe = await Probe(probeAt, rate, boundUs, probes, log, mode).ConfigureAwait(false);
            if (!Passes(probe, boundUs))
            {
                bad = rate;
                break;
            }
            good = rate;
            if (rate >= maxRate)
            {
                reason = $"sustained the sweep's maximum rate ({maxRate.ToString("N0", CultureInfo.InvariantCulture)}/s)";
                return Finish(mode, boundUs, good, probes, reason, log);
            }
            rate = Math.Min(maxRate, rate * 2);
        }
        // The start rate already failed: halve until a rate passes (or the budget or 1/s is reached).
        while (good == 0)
        {
            if (bad <= 1)
            {
                return Finish(mode, boundUs, 0, probes, "even 1/s misses the bound", log);
            }
            if (probes.Count >= maxSteps)
            {
                return Finish(mode, boundUs, 0, probes, "probe budget spent while halving: no rate passed", log);
            }
            long lower = Math.Max(1, bad / 2);
            SweepProbe probe = await Probe(probeAt, lower, boundUs, probes, log, mode).ConfigureAwait(false);
            if (Passes(probe, boundUs)) good = lower;
            else bad = lower;
        }
        // Phase 2: bisection between good (passed) and bad (failed).
        while ((double)bad / good > Resolution)
        {
            if (probes.Count >= maxSteps)
            {
                return Finish(mode, boundUs, good, probes, "probe budget spent while bisecting", log);
            }
            long mid = good + (bad - good) / 2;
            SweepProbe probe = await Probe(probeAt, mid, boundUs, probes, log, mode).ConfigureAwait(false);
            if (Passes(probe, boundUs)) good = mid;
            else bad = mid;
        }
        return Finish(mode, boundUs, good, probes, $"bracketed within {Resolution - 1:P0}", log);
    }

    private static async Task<SweepProbe> Probe(Func<long, Task<SweepProbe>> probeAt, long rate, long boundUs, List<SweepProbe> probes, TextWriter log, string mode)
    {
        SweepProbe probe = await probeAt(rate).ConfigureAwait(false);
        probes.Add(probe);
        log.WriteLine($"[sweep {mode}] offered {rate:N0}/s: completed {probe.CompletedPerS:N0}/s, p99 {probe.P99Ns / 1000.0:N0} µs, failed {probe.Failed:N0} → {(Passes(probe, boundUs) ? "ok" : "over")}");
        return probe;
    }

    private static SweepOutcome Finish(string mode, long boundUs, long good, List<SweepProbe> probes, string reason, TextWriter log)
    {
        log.WriteLine($"[sweep {mode}] max sustainable rate under p99 ≤ {boundUs:N0} µs: {good:N0}/s ({reason}, {probes.Count} probes)");
        return new SweepOutcome(mode, boundUs, good, probes, reason);
    }

    /// <summary>Adds the outcome to the result: the answer as a metric, each probe as a row.</summary>
    public static void Report(SweepOutcome outcome, ScenarioResult result)
    {
        string group = $"{outcome.Mode} sweep p99 ≤ {outcome.BoundUs:N0} µs";
        result.Sweeps.Add(outcome);
        result.Add(group, "max sustainable offered rate", outcome.MaxSustainablePerS, "tx/s");
        foreach (SweepProbe p in outcome.Probes)
        {
            result.Add(group, $"probe {p.OfferedPerS:N0}/s p99", p.P99Ns, "ns");
        }
        result.Note($"{group}: {outcome.StopReason}; {outcome.Probes.Count} probes (doubling from the start rate, then bisection; a probe passes when p99 ≤ bound, nothing failed and ≥ {MinCompletedShare:P0} of the offered rate completed)");
    }
}
