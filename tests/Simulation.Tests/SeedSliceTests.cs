using Wallet.Replication.Simulation;
using Xunit.Abstractions;

namespace Wallet.Simulation.Tests;

/// <summary>
/// The CI slice of the deterministic simulation: a fixed set of seeds per cluster size, each a full run with faults
/// (loss, duplication, reordering, symmetric/asymmetric partitions, crashes with torn writes, restarts), then healing
/// and convergence. A failure prints the seed and the command that reproduces it.
/// </summary>
public sealed class SeedSliceTests
{
    private readonly ITestOutputHelper _output;

    public SeedSliceTests(ITestOutputHelper output) => _output = output;

    [Theory(Timeout = 120_000)]
    [InlineData(3, 1UL, 40UL)]
    [InlineData(5, 101UL, 115UL)]
    [InlineData(1, 201UL, 205UL)]
    public async Task Seeds_hold_every_invariant_and_converge(int replicas, ulong first, ulong last)
    {
        await Task.Yield();
        var options = new SimOptions { Replicas = replicas };
        var failures = new List<string>();
        for (var seed = first; seed <= last; seed++)
        {
            var result = SimCluster.Run(seed, options);
            _output.WriteLine(result.ToString());
            if (!result.Passed) failures.Add(result.ToString());
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(3, 401UL, 440UL)]
    [InlineData(5, 501UL, 520UL)]
    public async Task Harsh_seeds_hold_every_invariant_and_converge(int replicas, ulong first, ulong last)
    {
        await Task.Yield();
        var options = SimOptions.Harsh(replicas, steps: 4000, healSteps: 6000);
        var failures = new List<string>();
        for (var seed = first; seed <= last; seed++)
        {
            var result = SimCluster.Run(seed, options);
            _output.WriteLine(result.ToString());
            if (!result.Passed) failures.Add(result.ToString() + " --harsh");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
