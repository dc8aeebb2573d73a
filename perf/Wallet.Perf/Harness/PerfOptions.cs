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
    ];

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
                    o.HgrmDir = value;
                    break;
                default:
                    if (!IsExtra(scenario, name))
                    {
                        throw new PerfOptionsException($"unknown option {name} for scenario '{scenario.Name}' (see --help)");
                    }
                    o.Extras[name] = value;
                    break;
            }
        }
        return o;
    }

    /// <summary>A scenario-specific option, or its default when absent.</summary>
    public string Extra(string name, string defaultValue) => Extras.TryGetValue(name, out string? v) ? v : defaultValue;

    public long ExtraLong(string name, long defaultValue, long min, long max) =>
        Extras.TryGetValue(name, out string? v) ? ParseLong(name, v, min, max) : defaultValue;

    private static bool IsExtra(IScenario scenario, string name)
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

    private static long ParseLong(string name, string value, long min, long max)
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
