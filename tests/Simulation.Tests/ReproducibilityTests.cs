using Wallet.Replication.Simulation;

namespace Wallet.Simulation.Tests;

public sealed class ReproducibilityTests
{
    [Fact(Timeout = 60_000)]
    public async Task The_same_seed_replays_exactly_and_different_seeds_differ()
    {
        await Task.Yield();
        var options = new SimOptions { Steps = 1500, HealSteps = 4000 };
        var a = SimCluster.Run(77, options);
        var b = SimCluster.Run(77, options);
        var c = SimCluster.Run(78, options);
        Assert.True(a.Passed, a.ToString());
        Assert.Equal(a.ToString(), b.ToString());
        Assert.Equal(a.Stats, b.Stats);
        Assert.NotEqual(a.Stats, c.Stats);
    }

    [Fact(Timeout = 60_000)]
    public async Task Faults_really_happen_in_the_ci_slice()
    {
        await Task.Yield();
        var r = SimCluster.Run(3, new SimOptions());
        Assert.True(r.Passed, r.ToString());
        Assert.True(r.Stats.Crashes > 0 && r.Stats.Partitions > 0 && r.Stats.MessagesDropped > 0 && r.Stats.MessagesDuplicated > 0, r.ToString());
        Assert.True(r.Stats.Leaders > 1, "leader changes are exercised");
        Assert.True(r.Stats.Acknowledged > 100, "the workload made progress");
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_pre_vote_and_check_quorum_the_invariants_still_hold()
    {
        await Task.Yield();
        var options = new SimOptions { PreVote = false, CheckQuorum = false, Steps = 3000 };
        for (ulong seed = 301; seed <= 304; seed++)
        {
            var r = SimCluster.Run(seed, options);
            Assert.True(r.Passed, r.ToString());
        }
    }
}
