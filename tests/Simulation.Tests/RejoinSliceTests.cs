using Wallet.Replication.Simulation;
using Xunit.Abstractions;

namespace Wallet.Simulation.Tests;

/// <summary>
/// The CI slice with data loss: a replica that was down long enough may come back with an empty disk (log, term, vote and
/// snapshots gone). With RejoinAfterDataLoss it rejoins as a non-voting catch-up member and every invariant of the plain
/// slice holds (election safety, leader completeness, state machine safety, model results, convergence); without it
/// the same faults break them — the simulation sees the hazard the option exists for.
/// </summary>
public sealed class RejoinSliceTests
{
    private readonly ITestOutputHelper _output;

    public RejoinSliceTests(ITestOutputHelper output) => _output = output;

    private static SimOptions Options(int replicas, bool rejoin, bool snapshots) =>
        (snapshots ? SimOptions.WithSnapshots(replicas) : new SimOptions { Replicas = replicas }).WithDataLoss(600_000, rejoin);

    [Theory(Timeout = 180_000)]
    [InlineData(3, false, 2001UL, 2040UL)]
    [InlineData(5, false, 2101UL, 2112UL)]
    [InlineData(3, true, 2201UL, 2220UL)]
    public async Task Seeds_with_data_loss_rejoin_and_hold_every_invariant(int replicas, bool snapshots, ulong first, ulong last)
    {
        await Task.Yield();
        var options = Options(replicas, rejoin: true, snapshots);
        var failures = new List<string>();
        long losses = 0, rejoined = 0;
        for (var seed = first; seed <= last; seed++)
        {
            var result = SimCluster.Run(seed, options);
            _output.WriteLine(result.ToString());
            if (!result.Passed) failures.Add(result.ToString());
            losses += result.Stats.DataLosses;
            rejoined += result.Stats.RejoinsCompleted;
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(losses > 0, "no replica lost its disk");
        Assert.True(rejoined > 0, "no replica completed a rejoin");
    }

    [Fact(Timeout = 180_000)]
    public async Task Without_the_option_the_same_data_loss_breaks_an_invariant()
    {
        await Task.Yield();
        var options = Options(3, rejoin: false, snapshots: false);
        var failures = 0;
        for (var seed = 2001UL; seed <= 2040UL; seed++)
        {
            var result = SimCluster.Run(seed, options);
            _output.WriteLine(result.ToString());
            if (!result.Passed) failures++;
        }

        Assert.True(failures > 0, "no seed broke an invariant without RejoinAfterDataLoss");
    }
}
