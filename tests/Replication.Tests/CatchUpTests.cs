using Wallet.Replication.Sbe;

namespace Wallet.Replication.Tests;

public sealed class CatchUpTests
{
    [Fact]
    public void A_follower_that_lost_an_unsynced_tail_is_resent_from_where_its_log_ends()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        for (var i = 0; i < 10; i++) leader.Propose(2, 1_000_000 + i, [1]);
        leader.Flush(c.NowMs);
        c.Wire.Clear();
        var follower = c.Ids.First(i => i != leader.NodeId);
        var term = leader.Term;

        // It had matched everything but synced only up to 5, then crashed and came back with 5 entries.
        leader.Receive(follower, Messages.AppendResponse(term, true, match: leader.LastIndex, durable: 5), c.NowMs);
        leader.Receive(follower, Messages.AppendResponse(term, false, 0, 0, hint: 6), c.NowMs);
        leader.Flush(c.NowMs);
        var resend = c.Wire.First(m => m.From == leader.NodeId && m.To == follower).Bytes;
        var d = AppendEntriesDecoder.WrapWithHeader(resend, 0);
        Assert.Equal(5, d.PrevLogIndex);
        Assert.True(d.EntryCount > 0);
    }

    [Fact]
    public void Five_replicas_commit_with_two_down_and_not_with_three()
    {
        var c = new TestCluster(5);
        var leader = c.ElectLeader();
        var others = c.Ids.Where(i => i != leader.NodeId).ToArray();
        c.Isolate(others[0]);
        c.Isolate(others[1]);
        var index = leader.Propose(2, 1_000_000, [1]);
        c.Run(50);
        Assert.True(leader.CommitIndex >= index); // 3 of 5

        c.Isolate(others[2]);
        var second = leader.Propose(2, 2_000_000, [2]);
        c.Run(50);
        Assert.True(leader.CommitIndex < second); // 2 of 5: no majority
        c.Run(200);
        Assert.NotEqual(RaftRole.Leader, leader.Role); // and CheckQuorum takes its leadership away
    }
}
