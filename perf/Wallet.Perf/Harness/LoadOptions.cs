using System.Globalization;
using Wallet.Perf.Scenarios.Blp;

namespace Wallet.Perf.Harness;

/// <summary>
/// The workload options shared by every scenario that moves money between accounts, with one spelling, one meaning
/// and one validation everywhere: a scenario opts in by listing the specs it honours in its
/// <see cref="IScenario.ExtraOptions"/>, so an option it would ignore is rejected instead of silently dropped.
/// </summary>
internal static class LoadOptions
{
    public const string Accounts = "--accounts";
    public const string Distribution = "--distribution";
    public const string HotSetPct = "--hot-set-pct";
    public const string HotTrafficPct = "--hot-traffic-pct";
    public const string Connections = "--connections";

    public const string DistributionChoices = "uniform|zipf|hot";

    /// <summary>The distribution options (any scenario that picks accounts lists all three).</summary>
    public static readonly IReadOnlyList<OptionSpec> DistributionSpecs =
    [
        new(Distribution, "account choice: uniform | zipf (s = 1) | hot (a hot set takes most of the traffic)", "uniform"),
        new(HotSetPct, "hot distribution: the hot set's share of the accounts in percent, (0, 100)", "1"),
        new(HotTrafficPct, "hot distribution: the share of picks that land in the hot set in percent, [0, 100]", "90"),
    ];

    /// <summary>The rate-sweep marker (see <see cref="PerfOptions.SweepCapable"/>).</summary>
    public static readonly OptionSpec SweepSpec = new(PerfOptions.SweepCapable, "this scenario runs --sweep-p99-us", "");

    /// <summary>Format checks that do not depend on the scenario; ranges that do are checked where the value is read.</summary>
    public static void Validate(string name, string value)
    {
        switch (name)
        {
            case Distribution:
                if (value is not ("uniform" or "zipf" or "hot"))
                    throw new PerfOptionsException($"{Distribution} must be one of {DistributionChoices}; got '{value}'");
                break;
            case HotSetPct:
                double set = ParsePct(name, value);
                if (set <= 0 || set >= 100) throw new PerfOptionsException($"{HotSetPct} must be in (0, 100); got {value}");
                break;
            case HotTrafficPct:
                ParsePct(name, value);
                break;
        }
    }

    /// <summary>The account picker the options describe (distribution, hot-set parameters, seed).</summary>
    public static AccountPicker Picker(PerfOptions options, int accounts, int pairs)
    {
        string distribution = options.Extra(Distribution, "uniform");
        double hotSet = options.Extras.TryGetValue(HotSetPct, out string? s) ? ParsePct(HotSetPct, s) : 1;
        double hotTraffic = options.Extras.TryGetValue(HotTrafficPct, out string? t) ? ParsePct(HotTrafficPct, t) : 90;
        if (distribution != "hot" && (options.IsGiven(HotSetPct) || options.IsGiven(HotTrafficPct)))
            throw new PerfOptionsException($"{HotSetPct} and {HotTrafficPct} apply only to {Distribution} hot; got {Distribution} {distribution}");
        return new AccountPicker(accounts, distribution, options.Seed, pairs, hotSet, hotTraffic);
    }

    /// <summary>A short description for notes: "uniform", "zipf (s = 1)", "hot (1% of accounts take 90% of picks)".</summary>
    public static string Describe(PerfOptions options)
    {
        string distribution = options.Extra(Distribution, "uniform");
        return distribution switch
        {
            "zipf" => "zipf (s = 1)",
            "hot" => $"hot ({options.Extra(HotSetPct, "1")}% of accounts take {options.Extra(HotTrafficPct, "90")}% of picks)",
            _ => distribution,
        };
    }

    private static double ParsePct(string name, string value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || double.IsNaN(d) || d < 0 || d > 100)
            throw new PerfOptionsException($"{name} expects a percentage in [0, 100]; got '{value}'");
        return d;
    }

    /// <summary>
    /// The open-loop rates: <c>--rate N</c> means just N (0 = closed loop only, no open-loop phase), else the
    /// scenario's <c>--rates</c> list (or its default). Giving both is an error: one would silently win.
    /// </summary>
    public static int[] Rates(PerfOptions options, string defaultList)
    {
        if (options.IsGiven("--rate"))
        {
            if (options.Extras.ContainsKey("--rates")) throw new PerfOptionsException("give --rate or --rates, not both");
            return options.Rate == 0 ? [] : [(int)Math.Min(options.Rate, 10_000_000)];
        }
        return ParseList(options.Extra("--rates", defaultList), 1, 10_000_000, "--rates");
    }

    /// <summary>The closed-loop batch sizes: <c>--batch N</c> means just N, else the scenario's <c>--batches</c> list.</summary>
    public static int[] Batches(PerfOptions options, string defaultList, int max)
    {
        if (options.IsGiven("--batch"))
        {
            if (options.Extras.ContainsKey("--batches")) throw new PerfOptionsException("give --batch or --batches, not both");
            if (options.Batch > max) throw new PerfOptionsException($"--batch must be in [1, {max}] for this scenario; got {options.Batch}");
            return [options.Batch];
        }
        return ParseList(options.Extra("--batches", defaultList), 1, max, "--batches");
    }

    /// <summary>A server journal fsync policy as <c>wallet serve</c> spells it.</summary>
    public static string Fsync(PerfOptions options, string defaultValue)
    {
        string fsync = options.Extra("--fsync", defaultValue);
        return fsync is "none" or "batch" or "always" ? fsync : throw new PerfOptionsException($"--fsync must be none, batch or always; got '{fsync}'");
    }

    public static int[] ParseList(string text, int min, int max, string name)
    {
        var list = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                throw new PerfOptionsException($"{name}: '{part}' is not a whole number in [{min}, {max}]");
            list.Add(v);
        }
        return [.. list];
    }
}
