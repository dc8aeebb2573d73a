using Wallet.Replication.Sbe;
using Wallet.Replication.Simulation;

namespace Wallet.Replication.Tests;

public sealed class ElectionTests
{
    [Fact]
    public void Single_node_elects_itself_and_commits_after_flush()
    {
        var c = new TestCluster(1);
        var leader = c.ElectLeader();
        Assert.Equal(1, leader.NodeId);
        Assert.Equal(1, leader.Term);
        Assert.Equal(1, leader.CommitIndex); // the new-term entry
        var index = leader.Propose(2, 1000, new byte[] { 1, 2, 3 });
        Assert.Equal(2, index);
        Assert.Equal(1, leader.CommitIndex); // not durable yet
        leader.Flush(c.NowMs);
        Assert.Equal(2, leader.CommitIndex);
    }

    [Fact]
    public void Three_nodes_elect_exactly_one_leader_and_replicate()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        foreach (var n in c.Nodes.Values)
        {
            Assert.Equal(leader.Term, n.Term);
            Assert.Equal(leader.NodeId, n.LeaderId);
            if (n != leader) Assert.Equal(RaftRole.Follower, n.Role);
        }

        for (var i = 0; i < 10; i++) leader.Propose(2, 1000 + i, new byte[] { (byte)i });
        c.FlushAll();
        c.DeliverAll();
        c.Run(30); // a heartbeat carries the final commit index to the followers
        Assert.Equal(11, leader.CommitIndex);
        foreach (var id in c.Ids)
        {
            Assert.Equal(11, c.Logs[id].LastIndex);
            Assert.Equal(11, c.Nodes[id].CommitIndex);
        }
    }

    [Fact]
    public void Election_restriction_denies_votes_to_a_less_up_to_date_log()
    {
        var c = new TestCluster(3);
        var voter = c.Nodes[1];
        c.Logs[1].Append(2, 1, 1, 10, [1]);
        c.Logs[1].Append(2, 2, 2, 20, [2]);
        c.Stores[1].Save(new RaftHardState(2, RaftHardState.NoVote));
        c.Restart(1);
        voter = c.Nodes[1];

        // Longer log but older last term: refused.
        voter.Receive(2, Messages.VoteRequest(term: 3, lastIndex: 5, lastTerm: 1), 0);
        var reply = c.Wire.Single(m => m.From == 1 && m.To == 2).Bytes;
        Assert.Equal(VoteResponseDecoder.TemplateId, Messages.TemplateOf(reply));
        Assert.False(Messages.Granted(reply));
        Assert.Equal(3, voter.Term); // the term is adopted even though the vote is refused
        Assert.Equal(RaftHardState.NoVote, voter.VotedFor);

        // Same last term, shorter log: refused.
        c.Wire.Clear();
        voter.Receive(2, Messages.VoteRequest(term: 3, lastIndex: 1, lastTerm: 2), 0);
        Assert.False(Messages.Granted(c.Wire.Single().Bytes));

        // As up to date: granted, and the vote is durable before the answer.
        c.Wire.Clear();
        voter.Receive(3, Messages.VoteRequest(term: 3, lastIndex: 2, lastTerm: 2), 0);
        Assert.True(Messages.Granted(c.Wire.Single().Bytes));
        Assert.Equal(new RaftHardState(3, 3), c.Stores[1].Load());

        // A second candidate in the same term: refused (one vote per term).
        c.Wire.Clear();
        voter.Receive(2, Messages.VoteRequest(term: 3, lastIndex: 9, lastTerm: 2), 0);
        Assert.False(Messages.Granted(c.Wire.Single().Bytes));
    }

    [Fact]
    public void Pre_vote_keeps_an_isolated_node_from_inflating_its_term_and_disrupting_the_leader()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var term = leader.Term;
        var victim = c.Ids.First(id => id != leader.NodeId);
        c.Isolate(victim);
        c.Run(2000);
        Assert.Equal(term, c.Nodes[victim].Term); // pre-votes failed: no term was burnt
        Assert.True(c.Nodes[victim].Counters.PreVotesStarted > 5);
        Assert.Equal(0, c.Nodes[victim].Counters.ElectionsStarted);
        c.Cut.Clear();
        c.Run(500);
        Assert.Same(leader, c.Leader());
        Assert.Equal(term, leader.Term);
        Assert.Equal(leader.NodeId, c.Nodes[victim].LeaderId);
    }

    [Fact]
    public void Without_pre_vote_the_same_isolation_deposes_the_leader()
    {
        var c = new TestCluster(3, preVote: false);
        var leader = c.ElectLeader();
        var term = leader.Term;
        var victim = c.Ids.First(id => id != leader.NodeId);
        c.Isolate(victim);
        c.Run(2000);
        Assert.True(c.Nodes[victim].Term > term + 5); // each timeout burnt a term
        c.Cut.Clear();
        c.Run(1000);
        Assert.True(c.Leader()!.Term > term); // the rejoining node's term forced a new election
    }

    [Fact]
    public void Leader_that_loses_its_majority_steps_down_and_refuses_proposals()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        c.Isolate(leader.NodeId);
        c.Run(99);
        Assert.Equal(RaftRole.Leader, leader.Role); // still inside its election timeout
        c.Run(150);
        Assert.NotEqual(RaftRole.Leader, leader.Role);
        Assert.Equal(1, leader.Counters.CheckQuorumStepDowns);
        Assert.Equal(-1, leader.Propose(2, 1_000_000, [1]));
        // The majority side elects a new leader meanwhile.
        c.Run(500);
        var other = c.Leader();
        Assert.NotNull(other);
        Assert.NotEqual(leader.NodeId, other!.NodeId);
    }

    [Fact]
    public void Voters_inside_a_live_leaders_lease_ignore_higher_term_vote_requests()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Nodes[c.Ids.First(id => id != leader.NodeId)];
        var term = follower.Term;
        c.Wire.Clear();
        var candidate = c.Ids.First(id => id != leader.NodeId && id != follower.NodeId);
        follower.Receive(candidate, Messages.VoteRequest(term + 5, 1000, term), c.NowMs);
        Assert.Equal(term, follower.Term);
        Assert.Equal(1, follower.Counters.VotesIgnoredInLease);
    }

    [Fact]
    public void Restart_recovers_term_and_vote_from_the_state_store()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var id = leader.NodeId;
        var term = leader.Term;
        c.Restart(id);
        Assert.Equal(term, c.Nodes[id].Term);
        Assert.Equal(id, c.Nodes[id].VotedFor);
        Assert.Equal(RaftRole.Follower, c.Nodes[id].Role);
        Assert.Equal(0, c.Nodes[id].CommitIndex);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1, 2] }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 4, Members = [1, 2, 3] }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1, 1, 3] }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1], HeartbeatIntervalMs = 300 }.Validate());
        new RaftOptions { NodeId = 5, Members = [1, 2, 3, 4, 5] }.Validate();
        _ = new SimRandom(1);
    }
}
