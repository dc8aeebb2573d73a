using System.Globalization;

namespace Wallet.Perf.Harness;

/// <summary>
/// <c>all [--quick] [--out-dir DIR] [--only a,b] [--skip a,b] [--sweep-p99-us N]</c>: every registered scenario in a
/// fixed order, each with a preset sized for the mode (quick: a few seconds per phase, under ~10 minutes in all on a
/// 2-core machine), one after the other in this process, then the whole set written by <see cref="RunSetOutput"/>
/// (default directory ./bench-out/&lt;utc-stamp&gt;). A failing scenario is reported and the set goes on; the exit
/// code is 1 if any failed. The closed-loop batch-1 figure of e2e is passed to the baselines as --compare-tps, so
/// their tables print our ratio to them.
/// </summary>
internal static class BenchAll
{
    /// <summary>p99 bound of the quick sweeps (µs): 10 ms, so the loaded 2-core box still finds a rate for every system.</summary>
    public const long DefaultSweepBoundUs = 10_000;

    /// <summary>A scenario with its quick and full arguments. The sweep bound is appended where a preset says so.</summary>
    internal sealed record Preset(string Scenario, string[] Quick, string[] Full, bool Sweep = false);

    public static readonly IReadOnlyList<Preset> Presets =
    [
        // First: the machine's own stalls before any load, the floor under every latency figure that follows.
        new("hiccup", ["--duration-s", "2", "--warmup-s", "0"], ["--duration-s", "10", "--warmup-s", "1"]),
        // And the least a TCP round trip costs here at the rates e2e offers: the floor under its open-loop figures.
        new("echo", ["--duration-s", "2", "--warmup-s", "1", "--rates", "1000,10000"], ["--duration-s", "5", "--warmup-s", "2"]),
        new("ring", ["--duration-s", "1", "--warmup-s", "0.5"], ["--duration-s", "3", "--warmup-s", "1"]),
        new("journal", ["--mib", "256", "--rounds", "1", "--duration-s", "1", "--warmup-s", "0"], ["--mib", "768", "--rounds", "3"]), // sized by --mib; the phase options only keep the preset uniform
        new("blp", ["--accounts", "100000", "--duration-s", "1", "--warmup-s", "0.5"], ["--duration-s", "3", "--warmup-s", "1"]),
        new("e2e", ["--duration-s", "2", "--warmup-s", "1", "--batches", "1,8190", "--rates", "1000,10000", "--sweep-max-steps", "8"],
            ["--duration-s", "5", "--warmup-s", "2"], Sweep: true),
        new("replicated", ["--duration-s", "2", "--warmup-s", "1", "--batches", "8190", "--rates", "1000"], ["--duration-s", "5", "--warmup-s", "2", "--rates", "10000"]),
        new("raft-core", ["--duration-s", "1", "--warmup-s", "0.5"], ["--duration-s", "3", "--warmup-s", "1"]),
        new("snapshot-install", ["--size-mib", "64", "--rounds", "2", "--duration-s", "1", "--warmup-s", "0"], ["--size-mib", "512", "--rounds", "3"]), // sized by --size-mib; the phase options only keep the preset uniform
        new("fix", ["--duration-s", "1", "--warmup-s", "0.5"], ["--duration-s", "3", "--warmup-s", "1"]),
        new("http", ["--duration-s", "2", "--warmup-s", "1", "--rates", "1000", "--sweep-max-steps", "8", "--connections", "64"], ["--duration-s", "5", "--warmup-s", "2"], Sweep: true),
        new("readmodel", ["--accounts", "10000", "--transfers", "200000", "--duration-s", "1", "--warmup-s", "0"], ["--duration-s", "3", "--warmup-s", "1"]),
        new("readmodel-lag", ["--duration-s", "2", "--warmup-s", "1", "--batches", "8190", "--rates", "5000"], ["--duration-s", "5", "--warmup-s", "2"]),
        new("saga", ["--duration-s", "1", "--warmup-s", "0.5"], ["--duration-s", "3", "--warmup-s", "1"]),
        new("cluster-saga", ["--duration-s", "2", "--warmup-s", "1", "--window", "512", "--fill-windows", "false"], ["--duration-s", "5", "--warmup-s", "2"]),
        new("baseline-postgres", ["--duration-s", "2", "--warmup-s", "1", "--rates", "1000", "--sweep-max-steps", "8"], ["--duration-s", "5", "--warmup-s", "2"], Sweep: true),
        new("baseline-redis", ["--duration-s", "2", "--warmup-s", "1", "--rates", "1000", "--sweep-max-steps", "8"], ["--duration-s", "5", "--warmup-s", "2"], Sweep: true),
    ];

    public static void PrintHelp(TextWriter output)
    {
        output.WriteLine("usage: Wallet.Perf all [--quick] [--out-dir DIR] [--only a,b] [--skip a,b] [--sweep-p99-us N]");
        output.WriteLine("  runs every scenario (hiccup, echo, ring, journal, blp, e2e, replicated, raft-core, snapshot-install, fix, http, readmodel, readmodel-lag, saga, cluster-saga,");
        output.WriteLine("  baseline-postgres, baseline-redis) and writes table.txt, hgrm/, summary.json and plots into DIR");
        output.WriteLine("  (default ./bench-out/<utc-stamp>). --quick: seconds per phase, < 10 min on 2 cores.");
        output.WriteLine($"  --sweep-p99-us: p99 bound (µs) of the rate sweeps of e2e, http and the baselines (default {DefaultSweepBoundUs}).");
    }

    /// <summary>The parsed command line of <c>all</c>.</summary>
    internal sealed record Settings(bool Quick, string OutDir, HashSet<string> Only, HashSet<string> Skip, long SweepBoundUs);

    public static Settings Parse(IReadOnlyList<string> args, DateTime utcNow)
    {
        bool quick = false;
        string? outDir = null;
        var only = new HashSet<string>(StringComparer.Ordinal);
        var skip = new HashSet<string>(StringComparer.Ordinal);
        long bound = DefaultSweepBoundUs;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--quick")
            {
                quick = true;
                continue;
            }
            if (a is not ("--out-dir" or "--only" or "--skip" or PerfOptions.SweepOption))
                throw new PerfOptionsException($"unknown option '{a}' for all (--quick, --out-dir DIR, --only a,b, --skip a,b, {PerfOptions.SweepOption} N)");
            if (i + 1 >= args.Count) throw new PerfOptionsException($"option {a} needs a value");
            string v = args[++i];
            switch (a)
            {
                case "--out-dir":
                    outDir = string.IsNullOrWhiteSpace(v) ? throw new PerfOptionsException("--out-dir needs a non-empty path") : v;
                    break;
                case "--only":
                    AddNames(only, v, a);
                    break;
                case "--skip":
                    AddNames(skip, v, a);
                    break;
                default:
                    bound = PerfOptions.ParseLong(a, v, 1, 60_000_000);
                    break;
            }
        }
        outDir ??= Path.Combine("bench-out", utcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
        return new Settings(quick, outDir, only, skip, bound);
    }

    private static void AddNames(HashSet<string> set, string list, string option)
    {
        foreach (string name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            bool known = false;
            foreach (Preset p in Presets) known |= p.Scenario == name;
            if (!known) throw new PerfOptionsException($"{option}: unknown scenario '{name}'");
            set.Add(name);
        }
    }

    /// <summary>The arguments a preset runs with in this set.</summary>
    public static List<string> ArgumentsFor(Preset preset, Settings settings, double? e2eBatch1Tps)
    {
        var args = new List<string>(settings.Quick ? preset.Quick : preset.Full);
        if (preset.Sweep) args.AddRange([PerfOptions.SweepOption, settings.SweepBoundUs.ToString(CultureInfo.InvariantCulture)]);
        if (preset.Scenario.StartsWith("baseline-", StringComparison.Ordinal) && e2eBatch1Tps is { } tps && tps >= 1)
            args.AddRange(["--compare-tps", ((long)tps).ToString(CultureInfo.InvariantCulture)]);
        return args;
    }

    public static int Run(IReadOnlyList<string> args, TextWriter log)
    {
        Settings settings = Parse(args, DateTime.UtcNow);
        string loadBefore = MachineInfo.LoadAverage();
        var outcomes = new List<ScenarioOutcome>();
        double? e2eBatch1 = null;
        foreach (Preset preset in Presets)
        {
            if ((settings.Only.Count > 0 && !settings.Only.Contains(preset.Scenario)) || settings.Skip.Contains(preset.Scenario)) continue;
            IScenario? scenario = ScenarioRegistry.Find(preset.Scenario);
            if (scenario is null)
            {
                log.WriteLine($"note: scenario '{preset.Scenario}' is not registered in this build; skipped");
                outcomes.Add(new ScenarioOutcome(preset.Scenario, OutcomeStatus.Skipped, null, null, [], 0, "not registered in this build"));
                continue;
            }
            List<string> arguments = ArgumentsFor(preset, settings, e2eBatch1);
            log.WriteLine();
            log.WriteLine($"=== {scenario.Name} {string.Join(' ', arguments)} ({DateTime.UtcNow:HH:mm:ss} UTC, load {MachineInfo.LoadAverage()})");
            ScenarioOutcome outcome;
            try
            {
                PerfOptions options = PerfOptions.Parse(arguments, scenario);
                outcome = ScenarioRunner.Run(scenario, options, arguments, log);
            }
            catch (PerfOptionsException e)
            {
                // A preset the scenario does not accept (e.g. a scenario registered by another build with other options).
                log.WriteLine($"error: {scenario.Name}: {e.Message}");
                outcome = new ScenarioOutcome(scenario.Name, OutcomeStatus.Failed, null, null, arguments, 0, "invalid options: " + e.Message);
            }
            if (outcome.Status == OutcomeStatus.Failed && preset.Scenario.StartsWith("baseline-", StringComparison.Ordinal))
            {
                log.WriteLine($"note: {preset.Scenario} needs {(preset.Scenario == "baseline-postgres" ? "PostgreSQL (initdb, pg_ctl)" : "redis-server")}; the harness installs it with apt-get when it can. By hand: apt-get install -y {(preset.Scenario == "baseline-postgres" ? "postgresql" : "redis-server")}");
            }
            if (preset.Scenario == "e2e" && outcome.Result is { } r) e2eBatch1 = r.ThroughputOf("closed loop batch 1");
            outcomes.Add(outcome);
        }
        string loadAfter = MachineInfo.LoadAverage();
        var output = new RunSetOutput(settings.OutDir);
        List<string> written = output.Write(outcomes, ["all", .. args], loadBefore, loadAfter);
        log.WriteLine();
        RunSetOutput.WriteTable(outcomes, log, loadBefore, loadAfter);
        log.WriteLine();
        log.WriteLine($"wrote {written.Count} files into {Path.GetFullPath(settings.OutDir)} (table.txt, summary.json, hgrm/, plots)");
        int failed = 0;
        foreach (ScenarioOutcome o in outcomes) if (o.Status == OutcomeStatus.Failed) failed++;
        if (failed > 0) log.WriteLine($"{failed} scenario(s) failed: see table.txt");
        return failed == 0 ? 0 : 1;
    }
}
