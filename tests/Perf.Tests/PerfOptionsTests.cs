using Wallet.Perf.Harness;

namespace Wallet.Perf.Tests;

public sealed class PerfOptionsTests
{
    private static IScenario Scenario(string name) => ScenarioRegistry.Find(name) ?? throw new InvalidOperationException(name + " is not registered");

    private static string Rejected(string scenario, params string[] args) =>
        Assert.Throws<PerfOptionsException>(() => PerfOptions.Parse(args, Scenario(scenario))).Message;

    [Fact]
    public void An_option_the_scenario_does_not_use_is_rejected_naming_the_scenario_and_its_options()
    {
        string message = Rejected("ring", "--accounts", "10");
        Assert.Contains("--accounts does not apply to scenario 'ring'", message, StringComparison.Ordinal);
        Assert.Contains("--topology", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("e2e")]
    [InlineData("http")]
    [InlineData("blp")]
    [InlineData("readmodel")]
    [InlineData("baseline-postgres")]
    [InlineData("baseline-redis")]
    public void Every_account_picking_scenario_takes_the_same_distribution_options(string scenario)
    {
        PerfOptions o = PerfOptions.Parse(["--accounts", "100", "--distribution", "hot", "--hot-set-pct", "5", "--hot-traffic-pct", "80", "--seed", "7"], Scenario(scenario));
        Assert.Equal("hot", o.Extras["--distribution"]);
        Assert.Equal(7, o.Seed);
        Assert.Contains("5% of accounts take 80%", LoadOptions.Describe(o), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--distribution", "pareto", "must be one of uniform|zipf|hot")]
    [InlineData("--hot-set-pct", "0", "must be in (0, 100)")]
    [InlineData("--hot-set-pct", "100", "must be in (0, 100)")]
    [InlineData("--hot-traffic-pct", "101", "percentage in [0, 100]")]
    [InlineData("--hot-traffic-pct", "x", "percentage in [0, 100]")]
    [InlineData("--duration-s", "0", "must be in (0, 3600]")]
    [InlineData("--rate", "-1", "must be in [0, 1000000000]")]
    [InlineData("--sweep-p99-us", "0", "must be in [1, 60000000]")]
    [InlineData("--sweep-max-steps", "100", "must be in [2, 40]")]
    public void Invalid_values_are_rejected_with_the_option_and_its_range(string name, string value, string expected)
    {
        Assert.Contains(expected, Rejected("e2e", name, value), StringComparison.Ordinal);
    }

    [Fact]
    public void Hot_set_parameters_without_the_hot_distribution_are_an_error_not_ignored()
    {
        PerfOptions o = PerfOptions.Parse(["--distribution", "zipf", "--hot-set-pct", "5"], Scenario("e2e"));
        var e = Assert.Throws<PerfOptionsException>(() => LoadOptions.Picker(o, 100, 1024));
        Assert.Contains("apply only to --distribution hot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sweep_is_refused_where_no_scenario_implements_it()
    {
        Assert.Contains("has no rate sweep", Rejected("ring", "--sweep-p99-us", "1000"), StringComparison.Ordinal);
        Assert.Contains("must not exceed --sweep-max-rate", Rejected("e2e", "--sweep-p99-us", "1000", "--sweep-start-rate", "5000", "--sweep-max-rate", "100"), StringComparison.Ordinal);
        PerfOptions o = PerfOptions.Parse(["--sweep-p99-us", "2000"], Scenario("baseline-redis"));
        Assert.Equal(2000, o.SweepP99BoundUs);
    }

    [Fact]
    public void Aliases_resolve_and_a_repeated_option_is_refused()
    {
        PerfOptions o = PerfOptions.Parse(["--clients", "3", "--duration", "2"], Scenario("e2e"));
        Assert.Equal("3", o.Extras["--connections"]);
        Assert.Equal(2, o.DurationS);
        Assert.Contains("given twice", Rejected("e2e", "--clients", "3", "--connections", "4"), StringComparison.Ordinal);
    }

    [Fact]
    public void Rate_and_batch_override_the_lists_and_zero_rate_means_closed_loop_only()
    {
        IScenario e2e = Scenario("e2e");
        Assert.Equal([2500], LoadOptions.Rates(PerfOptions.Parse(["--rate", "2500"], e2e), "1000,5000"));
        Assert.Empty(LoadOptions.Rates(PerfOptions.Parse(["--rate", "0"], e2e), "1000,5000"));
        Assert.Equal([1000, 5000], LoadOptions.Rates(PerfOptions.Parse([], e2e), "1000,5000"));
        Assert.Equal([100], LoadOptions.Batches(PerfOptions.Parse(["--batch", "100"], e2e), "1,8190", 8190));
        var both = PerfOptions.Parse(["--rate", "1", "--rates", "2,3"], e2e);
        Assert.Contains("not both", Assert.Throws<PerfOptionsException>(() => LoadOptions.Rates(both, "1")).Message, StringComparison.Ordinal);
        var bad = PerfOptions.Parse(["--rates", "10,abc"], e2e);
        Assert.Contains("'abc' is not a whole number", Assert.Throws<PerfOptionsException>(() => LoadOptions.Rates(bad, "1")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void All_parses_its_options_and_rejects_unknown_ones_and_scenarios()
    {
        BenchAll.Settings s = BenchAll.Parse(["--quick", "--only", "ring,e2e", "--sweep-p99-us", "5000"], new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        Assert.True(s.Quick);
        Assert.Equal(Path.Combine("bench-out", "20260102T030405Z"), s.OutDir);
        Assert.Equal(5000, s.SweepBoundUs);
        Assert.Contains("e2e", s.Only);
        Assert.Throws<PerfOptionsException>(() => BenchAll.Parse(["--fast"], DateTime.UtcNow));
        Assert.Contains("unknown scenario 'nope'", Assert.Throws<PerfOptionsException>(() => BenchAll.Parse(["--skip", "nope"], DateTime.UtcNow)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_registered_scenario_accepts_its_quick_preset()
    {
        BenchAll.Settings settings = BenchAll.Parse(["--quick"], DateTime.UtcNow);
        foreach (BenchAll.Preset preset in BenchAll.Presets)
        {
            IScenario? scenario = ScenarioRegistry.Find(preset.Scenario);
            if (scenario is null) continue; // e.g. saga, registered by another branch
            List<string> args = BenchAll.ArgumentsFor(preset, settings, e2eBatch1Tps: 1000);
            PerfOptions o = PerfOptions.Parse(args, scenario);
            Assert.True(o.DurationS <= 2, preset.Scenario + " quick phases must be short");
        }
    }

    [Fact]
    public void The_saga_scenario_takes_a_cross_partition_submission_batch_within_its_range()
    {
        IScenario? saga = ScenarioRegistry.Find("saga");
        Assert.NotNull(saga);
        Assert.Equal(8, PerfOptions.Parse(["--cross-batch", "8"], saga).ExtraLong("--cross-batch", 64, 1, 4096));
        PerfOptions zero = PerfOptions.Parse(["--cross-batch", "0"], saga);
        Assert.Throws<PerfOptionsException>(() => zero.ExtraLong("--cross-batch", 64, 1, 4096));
    }
}
