using System.Globalization;

namespace Wallet.Perf.Harness;

/// <summary>
/// Options common to every scenario, parsed by hand (no packages). Scenario-specific options land in
/// <see cref="Extras"/> and are validated against the scenario's <see cref="IScenario.ExtraOptions"/>.
/// Every value has limits; violations throw <see cref="PerfOptionsException"/>.
/// </summary>
internal sealed class PerfOptions
{
    public const double MaxDurationS = 3600;
    public const long MaxRate = 1_000_000_000;
    public const int MaxBatch = 65_536;

    /// <summary>Measured time per phase (seconds).</summary>
    public double DurationS { get; private set; } = 3;

    /// <summary>Unmeasured warm-up time before each phase (seconds).</summary>
    public double WarmupS { get; private set; } = 1;

    /// <summary>Events per second for fixed-rate latency phases; 0 = as fast as possible.</summary>
    public long Rate { get; private set; } = 100_000;

    /// <summary>Wait strategy; null = the scenario's per-topology default.</summary>
    public WaitKind? Wait { get; private set; }

    /// <summary>Producer claim batch (slots per claim) in max-rate phases.</summary>
    public int Batch { get; private set; } = 64;

    public int Seed { get; private set; } = 42;

    /// <summary>Optional path for a JSON copy of the results.</summary>
    public string? JsonPath { get; private set; }

    /// <summary>Optional directory for one HdrHistogram <c>.hgrm</c> percentile file per latency run.</summary>
    public string? HgrmDir { get; private set; }

    /// <summary>Optional directory for the whole output set: table.txt, hgrm/, summary.json, plots (<see cref="RunSetOutput"/>).</summary>
    public string? OutDir { get; private set; }

    /// <summary>When set, scenarios that support it search the highest offered rate whose p99 stays within this bound (µs).</summary>
    public long? SweepP99BoundUs { get; private set; }

    /// <summary>First offered rate of a sweep (transfers/s); the sweep doubles from here.</summary>
    public long SweepStartRate { get; private set; } = 1000;

    /// <summary>The sweep never offers more than this (transfers/s).</summary>
    public long SweepMaxRate { get; private set; } = 10_000_000;

    /// <summary>Probes per sweep (doubling + bisection), so a sweep always ends.</summary>
    public int SweepMaxSteps { get; private set; } = 12;

    /// <summary>The option names given on the command line (after alias resolution): lets a scenario tell "--rate 100000" from the default.</summary>
    public HashSet<string> Given { get; } = new(StringComparer.Ordinal);

    /// <summary>The arguments as given (for the JSON summary).</summary>
    public IReadOnlyList<string> Arguments { get; private set; } = [];

    public bool IsGiven(string name) => Given.Contains(name);

    public Dictionary<string, string> Extras { get; } = new(StringComparer.Ordinal);

    public static readonly IReadOnlyList<OptionSpec> Common =
    [
        new("--duration-s", "measured seconds per phase, (0, 3600]", "3"),
        new("--warmup-s", "warm-up seconds before each phase, [0, 3600]", "1"),
        new("--rate", "events/s for the fixed-rate latency phase; 0 = max", "100000"),
        new("--wait", WaitKinds.Choices, "per scenario"),
        new("--batch", "slots claimed per producer claim in max-rate phases, [1, 65536]", "64"),
        new("--seed", "random seed", "42"),
        new("--json", "also write results as JSON to this path", "(none)"),
        new("--hgrm-dir", "write one HdrHistogram .hgrm percentile file (values in ms) per latency run here", "(none)"),
        new("--out-dir", "write table.txt, hgrm/*.hgrm, summary.json and plots (PNG + SVG) here", "(none)"),
        new(SweepOption, "rate sweep: find the highest offered rate whose p99 stays within this many µs (e2e, http, baselines)", "(off)"),
        new("--sweep-start-rate", "first offered rate of the sweep (doubles from there), [1, 10000000]", "1000"),
        new("--sweep-max-rate", "highest rate the sweep offers, [1, 10000000]", "10000000"),
        new("--sweep-max-steps", "probes per sweep (doubling then bisection), [2, 40]", "12"),
    ];

    public const string SweepOption = "--sweep-p99-us";

    /// <summary>Aliases accepted for uniformity with other load tools.</summary>
    private static string Canonical(string name) => name switch
    {
        "--clients" => "--connections",
        "--duration" => "--duration-s",
        "--warmup" => "--warmup-s",
        _ => name,
    };

    public static PerfOptions Parse(IReadOnlyList<string> args, IScenario scenario)
    {
        PerfOptions o = new();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new PerfOptionsException($"unexpected argument '{name}' (options look like --name value)");
            }
            if (i + 1 >= args.Count)
            {
                throw new PerfOptionsException($"option {name} needs a value");
            }
            string value = args[++i];
            name = Canonical(name);
            if (!o.Given.Add(name))
            {
                throw new PerfOptionsException($"option {name} given twice");
            }
            switch (name)
            {
                case "--duration-s":
                    o.DurationS = ParseDouble(name, value, 0, MaxDurationS, exclusiveMin: true);
                    break;
                case "--warmup-s":
                    o.WarmupS = ParseDouble(name, value, 0, MaxDurationS, exclusiveMin: false);
                    break;
                case "--rate":
                    o.Rate = ParseLong(name, value, 0, MaxRate);
                    break;
                case "--wait":
                    o.Wait = WaitKinds.Parse(value);
                    break;
                case "--batch":
                    o.Batch = (int)ParseLong(name, value, 1, MaxBatch);
                    break;
                case "--seed":
                    o.Seed = (int)ParseLong(name, value, int.MinValue, int.MaxValue);
                    break;
                case "--json":
                    o.JsonPath = value;
                    break;
                case "--hgrm-dir":
                    o.HgrmDir = RequireNonEmpty(name, value);
                    break;
                case "--out-dir":
                    o.OutDir = RequireNonEmpty(name, value);
                    break;
                case SweepOption:
                    o.SweepP99BoundUs = ParseLong(name, value, 1, 60_000_000);
                    break;
                case "--sweep-start-rate":
                    o.SweepStartRate = ParseLong(name, value, 1, 10_000_000);
                    break;
                case "--sweep-max-rate":
                    o.SweepMaxRate = ParseLong(name, value, 1, 10_000_000);
                    break;
                case "--sweep-max-steps":
                    o.SweepMaxSteps = (int)ParseLong(name, value, 2, 40);
                    break;
                default:
                    if (!IsExtra(scenario, name))
                    {
                        throw new PerfOptionsException(
                            $"option {name} does not apply to scenario '{scenario.Name}' (its own options: {ExtraNames(scenario)}; common options: see --help)");
                    }
                    LoadOptions.Validate(name, value);
                    o.Extras[name] = value;
                    break;
            }
        }
        if (o.SweepP99BoundUs is not null && !IsExtra(scenario, SweepCapable))
        {
            throw new PerfOptionsException($"scenario '{scenario.Name}' has no rate sweep ({SweepOption} applies to e2e, replicated, http, baseline-postgres, baseline-redis)");
        }
        if (o.SweepStartRate > o.SweepMaxRate)
        {
            throw new PerfOptionsException($"--sweep-start-rate ({o.SweepStartRate}) must not exceed --sweep-max-rate ({o.SweepMaxRate})");
        }
        o.Arguments = [.. args];
        return o;
    }

    /// <summary>A scenario lists this pseudo-option in <see cref="IScenario.ExtraOptions"/> to say it runs <see cref="RateSweep"/> under --sweep-p99-us.</summary>
    public const string SweepCapable = "(sweep)";

    private static string ExtraNames(IScenario scenario)
    {
        var names = new List<string>();
        foreach (OptionSpec spec in scenario.ExtraOptions)
        {
            if (spec.Name.StartsWith("--", StringComparison.Ordinal)) names.Add(spec.Name);
        }
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private static string RequireNonEmpty(string name, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new PerfOptionsException($"{name} needs a non-empty path") : value;

    /// <summary>A scenario-specific option, or its default when absent.</summary>
    public string Extra(string name, string defaultValue) => Extras.TryGetValue(name, out string? v) ? v : defaultValue;

    public long ExtraLong(string name, long defaultValue, long min, long max) =>
        Extras.TryGetValue(name, out string? v) ? ParseLong(name, v, min, max) : defaultValue;

    internal static bool IsExtra(IScenario scenario, string name)
    {
        foreach (OptionSpec spec in scenario.ExtraOptions)
        {
            if (spec.Name == name)
            {
                return true;
            }
        }
        return false;
    }

    private static double ParseDouble(string name, string value, double min, double max, bool exclusiveMin)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || double.IsNaN(d))
        {
            throw new PerfOptionsException($"{name} expects a number; got '{value}'");
        }
        if ((exclusiveMin ? d <= min : d < min) || d > max)
        {
            throw new PerfOptionsException($"{name} must be in {(exclusiveMin ? "(" : "[")}{min}, {max}]; got {value}");
        }
        return d;
    }

    internal static long ParseLong(string name, string value, long min, long max)
    {
        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l))
        {
            throw new PerfOptionsException($"{name} expects an integer; got '{value}'");
        }
        if (l < min || l > max)
        {
            throw new PerfOptionsException($"{name} must be in [{min}, {max}]; got {value}");
        }
        return l;
    }
}
