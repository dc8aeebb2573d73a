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
    [InlineData(3, 1UL, 12UL)]
    [InlineData(5, 101UL, 106UL)]
    [InlineData(1, 201UL, 203UL)]
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
}
