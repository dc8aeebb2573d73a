using Wallet.Perf.Harness;

namespace Wallet.Perf.Tests;

public sealed class RateSweepTests
{
    /// <summary>A system that keeps p99 at 1 ms up to its capacity and falls over beyond it.</summary>
    private static Func<long, Task<SweepProbe>> System(long capacity, List<long> offered) => rate =>
    {
        offered.Add(rate);
        bool ok = rate <= capacity;
        return Task.FromResult(new SweepProbe(rate, ok ? rate : capacity, ok ? 1_000_000 : 900_000_000, 0));
    };

    [Theory]
    [InlineData(37_000)]
    [InlineData(1_000)]
    [InlineData(999_999)]
    public async Task Finds_the_capacity_within_the_resolution(long capacity)
    {
        var offered = new List<long>();
        SweepOutcome o = await RateSweep.RunAsync("test", boundUs: 5_000, startRate: 1000, maxRate: 10_000_000, maxSteps: 30, System(capacity, offered), TextWriter.Null);
        Assert.InRange(o.MaxSustainablePerS, (long)(capacity / RateSweep.Resolution), capacity);
        Assert.Equal(offered.Count, o.Probes.Count);
    }

    [Fact]
    public async Task The_sweep_halves_when_the_start_rate_already_fails()
    {
        var offered = new List<long>();
        SweepOutcome o = await RateSweep.RunAsync("test", 5_000, startRate: 10_000, maxRate: 100_000, maxSteps: 30, System(700, offered), TextWriter.Null);
        Assert.InRange(o.MaxSustainablePerS, (long)(700 / RateSweep.Resolution), 700);
        Assert.Equal([10_000L, 5_000, 2_500, 1_250, 625], offered.GetRange(0, 5));
    }

    [Fact]
    public async Task The_probe_budget_and_the_rate_cap_bound_the_sweep()
    {
        var offered = new List<long>();
        SweepOutcome o = await RateSweep.RunAsync("test", 5_000, 1000, 1_000_000_000, maxSteps: 5, System(long.MaxValue, offered), TextWriter.Null);
        Assert.Equal(5, offered.Count);
        Assert.Equal(16_000, o.MaxSustainablePerS);
        Assert.Contains("budget", o.StopReason, StringComparison.Ordinal);

        offered.Clear();
        o = await RateSweep.RunAsync("test", 5_000, 1000, 3000, maxSteps: 40, System(long.MaxValue, offered), TextWriter.Null);
        Assert.All(offered, r => Assert.True(r <= 3000));
        Assert.Equal(3000, o.MaxSustainablePerS);
    }

    [Fact]
    public void A_probe_fails_on_latency_on_errors_or_when_it_fell_behind()
    {
        Assert.True(RateSweep.Passes(new SweepProbe(1000, 995, 5_000_000, 0), 5_000));
        Assert.False(RateSweep.Passes(new SweepProbe(1000, 995, 5_000_001, 0), 5_000));
        Assert.False(RateSweep.Passes(new SweepProbe(1000, 995, 1_000, 1), 5_000));
        Assert.False(RateSweep.Passes(new SweepProbe(1000, 800, 1_000, 0), 5_000));
    }

    [Fact]
    public void Low_rate_probes_are_stretched_to_enough_samples_but_stay_bounded()
    {
        Assert.Equal(2, RateSweep.ProbeSeconds(1000, 2));
        Assert.Equal(RateSweep.MinSamplesPerProbe / 50.0, RateSweep.ProbeSeconds(50, 2));
        Assert.Equal(RateSweep.MaxProbeSeconds, RateSweep.ProbeSeconds(1, 2));
    }
}
