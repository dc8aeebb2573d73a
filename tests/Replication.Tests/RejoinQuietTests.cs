namespace Wallet.Replication.Tests;

/// <summary>
/// The quiet period of a replica rejoining after data loss (<see cref="RaftOptions.RejoinQuietMs"/>): for that long after
/// it starts it handles no message and sends none, so the rejoin argument's downtime assumption holds however quickly it
/// was restarted — a stale leader's delayed message cannot make it adopt that leader's term and vote.
/// </summary>
public sealed class RejoinQuietTests
{
    /// <summary>Elects a leader, then takes its next AppendEntries/heartbeat to <paramref name="to"/> off the wire (a delayed message).</summary>
    private static (RaftNode Leader, byte[] Held) LeaderAndHeldMessageTo(TestCluster c, Func<RaftNode, int> to)
    {
        RaftNode leader = c.ElectLeader();
        c.Run(30);
        int target = to(leader);
        for (int i = 0; i < 200; i++)
        {
            c.NowMs++;
            leader.Tick(c.NowMs);
            leader.Flush(c.NowMs);
            int k = c.Wire.FindIndex(m => m.From == leader.NodeId && m.To == target);
            if (k >= 0)
            {
                byte[] held = c.Wire[k].Bytes;
                c.Wire.Clear();
                return (leader, held);
            }
        }
        throw new InvalidOperationException("the leader sent nothing to the follower");
    }

    [Fact]
    public void A_delayed_message_of_the_old_leader_is_ignored_while_quiet_and_adopted_without_the_quiet_period()
    {
        foreach (int quietMs in new[] { -1, 0 })
        {
            var c = new TestCluster(3, rejoinQuietMs: quietMs);
            (RaftNode leader, byte[] held) = LeaderAndHeldMessageTo(c, l => c.Ids.First(id => id != l.NodeId));
            int follower = c.Ids.First(id => id != leader.NodeId);
            long term = leader.Term;

            c.WipeAndRestart(follower, rejoin: true);
            RaftNode restarted = c.Nodes[follower];
            restarted.Tick(c.NowMs);
            restarted.Receive(leader.NodeId, held, c.NowMs);
            restarted.Flush(c.NowMs);

            if (quietMs < 0)
            {
                // Still "down": the message changed nothing and nothing was answered.
                Assert.True(restarted.RejoinQuiet);
                Assert.Equal((0L, RaftHardState.NoVote), (restarted.Term, restarted.VotedFor));
                Assert.Equal(1, restarted.Counters.RejoinQuietIgnored);
                Assert.Equal(0, restarted.Counters.MessagesSent);
                Assert.DoesNotContain(c.Wire, m => m.From == follower);
            }
            else
            {
                // What the quiet period prevents: had that leader been stale, the wiped replica would now follow it and
                // record it as its vote in its term.
                Assert.False(restarted.RejoinQuiet);
                Assert.Equal((term, leader.NodeId), (restarted.Term, restarted.VotedFor));
                Assert.Equal(0, restarted.Counters.RejoinQuietIgnored);
            }
        }
    }

    [Fact]
    public void After_the_automatic_quiet_period_the_replica_catches_up_as_usual_and_not_before()
    {
        var c = new TestCluster(3, rejoinQuietMs: -1);
        RaftNode leader = c.ElectLeader();
        for (int i = 0; i < 20; i++) leader.Propose(2, 1_000_000 + i, [(byte)i]);
        c.Run(50);
        int follower = c.Ids.First(id => id != leader.NodeId);
        RaftOptions options = c.Nodes[follower].Options;
        int quietMs = options.AutoRejoinQuietMs;
        Assert.Equal(4 * options.ElectionTimeoutMs + RaftOptions.RejoinQuietDelayAllowanceMs, quietMs);

        c.WipeAndRestart(follower, rejoin: true);
        RaftNode restarted = c.Nodes[follower];
        Assert.Equal(quietMs, new RaftOptions { NodeId = follower, Members = [1, 2, 3], ElectionTimeoutMs = options.ElectionTimeoutMs, RejoinAfterDataLoss = true }.EffectiveRejoinQuietMs);
        c.Run(quietMs - 5);
        // The leader kept sending; the replica ignored all of it and sent nothing back.
        Assert.True(restarted.RejoinQuiet);
        Assert.True(restarted.Counters.RejoinQuietIgnored > 10);
        Assert.Equal(0, restarted.Counters.MessagesSent);
        Assert.Equal(0, c.Logs[follower].LastIndex);
        Assert.Equal(RaftRole.Leader, leader.Role); // the other two are a majority: service went on

        c.Run(600);
        Assert.False(restarted.RejoinQuiet);
        Assert.False(restarted.Rejoining);
        Assert.Equal(leader.LastIndex, c.Logs[follower].LastIndex);
        Assert.Equal(leader.NodeId, restarted.VotedFor); // the leader of the term it caught up in, recorded as its vote
    }

    [Fact]
    public void The_quiet_period_applies_only_to_a_rejoining_replica_and_is_bounded()
    {
        Assert.Equal(0, new RaftOptions { NodeId = 1, Members = [1, 2, 3] }.EffectiveRejoinQuietMs);
        Assert.Equal(2_500, new RaftOptions { NodeId = 1, Members = [1, 2, 3], RejoinAfterDataLoss = true, RejoinQuietMs = 2_500 }.EffectiveRejoinQuietMs);
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1, 2, 3], RejoinQuietMs = -2 }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1, 2, 3], RejoinQuietMs = 3_600_001 }.Validate());

        // A restart without the option is never quiet.
        var c = new TestCluster(3, rejoinQuietMs: -1);
        RaftNode leader = c.ElectLeader();
        int follower = c.Ids.First(id => id != leader.NodeId);
        c.Restart(follower);
        c.Run(50);
        Assert.False(c.Nodes[follower].RejoinQuiet);
        Assert.Equal(0, c.Nodes[follower].Counters.RejoinQuietIgnored);
        Assert.True(c.Nodes[follower].Counters.MessagesSent > 0);
    }
}
