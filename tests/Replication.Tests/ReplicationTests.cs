using Wallet.Replication.Sbe;

namespace Wallet.Replication.Tests;

public sealed class ReplicationTests
{
    private static readonly byte[] One = [1];

    [Fact]
    public void Follower_truncates_a_conflicting_suffix_and_keeps_matching_entries()
    {
        var c = new TestCluster(3);
        var log = c.Logs[1];
        log.Append(2, 1, 1, 10, [1]);
        log.Append(2, 2, 1, 20, [2]);
        log.Append(2, 3, 2, 30, [3]); // from a deposed leader of term 2
        log.Append(2, 4, 2, 40, [4]);
        log.Flush();
        c.Stores[1].Save(new RaftHardState(2, RaftHardState.NoVote));
        c.Restart(1);
        var node = c.Nodes[1];

        // Leader of term 3 holds [1:t1, 2:t1, 3:t3].
        node.Receive(2, Messages.AppendEntries(3, prevIndex: 1, prevTerm: 1, leaderCommit: 2, (1, 2, 20, [2]), (3, 2, 35, [9])), 0);
        node.Flush(0);
        Assert.Equal(3, log.LastIndex);
        Assert.Equal(1, log.TermAt(2));
        Assert.Equal(3, log.TermAt(3));
        Assert.Equal(1, node.Counters.Truncations);
        Assert.Equal(2, node.CommitIndex);
        Assert.Equal(2, node.LeaderId);

        // A stale duplicate of an older message does not truncate anything.
        node.Receive(2, Messages.AppendEntries(3, prevIndex: 0, prevTerm: 0, leaderCommit: 2, (1, 2, 10, [1])), 0);
        node.Flush(0);
        Assert.Equal(3, log.LastIndex);
        Assert.Equal(1, node.Counters.Truncations);
    }

    [Fact]
    public void Follower_rejects_a_gap_with_a_hint_and_acknowledges_its_durable_position()
    {
        var c = new TestCluster(3);
        var node = c.Nodes[1];
        node.Receive(2, Messages.AppendEntries(1, prevIndex: 5, prevTerm: 1, leaderCommit: 0), 0);
        node.Flush(0);
        var reject = c.Wire.Single().Bytes;
        var d = AppendResponseDecoder.WrapWithHeader(reject, 0);
        Assert.Equal(BooleanType.False, d.Success);
        Assert.Equal(1, d.HintIndex); // empty log: start from 1

        c.Wire.Clear();
        node.Receive(2, Messages.AppendEntries(1, 0, 0, 0, (1, 2, 10, [1]), (1, 2, 20, [2])), 0);
        Assert.Empty(c.Wire); // acknowledgement waits for the flush
        node.Flush(0);
        var ack = AppendResponseDecoder.WrapWithHeader(c.Wire.Single().Bytes, 0);
        Assert.Equal(BooleanType.True, ack.Success);
        Assert.Equal(2, ack.MatchIndex);
        Assert.Equal(2, ack.DurableIndex);
    }

    [Fact]
    public void Leader_commits_only_through_a_current_term_entry()
    {
        // Node 1 holds [1:t1, 2:t2] and becomes leader of term 3; index 2 (term 2) on a majority must not commit by itself.
        var c = new TestCluster(3);
        c.Logs[1].Append(2, 1, 1, 10, One);
        c.Logs[1].Append(2, 2, 2, 20, One);
        c.Logs[1].Flush();
        c.Stores[1].Save(new RaftHardState(2, RaftHardState.NoVote));
        c.Restart(1);
        var node = c.Nodes[1];
        node.Tick(0);
        node.Tick(1000); // election timeout: pre-vote
        Assert.Equal(RaftRole.PreCandidate, node.Role);
        node.Receive(2, Messages.VoteResponse(3, true, preVote: true), 1000);
        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.Equal(3, node.Term);
        node.Receive(2, Messages.VoteResponse(3, true), 1000);
        Assert.Equal(RaftRole.Leader, node.Role);
        Assert.Equal(3, node.LastIndex); // the new-term entry
        Assert.Equal(3, node.TermAt(3));
        node.Flush(1000);

        node.Receive(2, Messages.AppendResponse(3, true, match: 2, durable: 2), 1000);
        node.Flush(1000);
        Assert.Equal(0, node.CommitIndex); // index 2 is on a majority but is of term 2

        node.Receive(2, Messages.AppendResponse(3, true, match: 3, durable: 3), 1000);
        node.Flush(1000);
        Assert.Equal(3, node.CommitIndex); // the term-3 entry commits, and index 1..2 with it
    }

    [Fact]
    public void Commit_counts_durable_positions_not_received_ones()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var commit = leader.CommitIndex;
        var index = leader.Propose(2, 1_000_000, One);
        leader.Flush(c.NowMs);
        c.Wire.Clear();
        var term = leader.Term;
        foreach (var id in c.Ids.Where(i => i != leader.NodeId))
        {
            leader.Receive(id, Messages.AppendResponse(term, true, match: index, durable: commit), c.NowMs);
        }

        leader.Flush(c.NowMs);
        Assert.Equal(commit, leader.CommitIndex);
        leader.Receive(c.Ids.First(i => i != leader.NodeId), Messages.AppendResponse(term, true, match: index, durable: index), c.NowMs);
        Assert.Equal(index, leader.CommitIndex);
    }

    [Fact]
    public void Leader_streams_without_waiting_for_acks_within_the_in_flight_window()
    {
        var c = new TestCluster(3, maxMessageBytes: 4096, maxInFlight: 16384);
        var leader = c.ElectLeader();
        c.Wire.Clear();
        for (var i = 0; i < 200; i++) leader.Propose(2, 1_000_000 + i, new byte[500]);
        leader.Flush(c.NowMs);
        var follower = c.Ids.First(i => i != leader.NodeId);
        var batches = c.Wire.Where(m => m.From == leader.NodeId && m.To == follower).ToList();
        Assert.True(batches.Count > 1, $"expected a pipelined stream, got {batches.Count} message(s)");
        Assert.True(batches.Sum(b => b.Bytes.Length) <= 16384 + 4096, "the in-flight window bounds what is sent before acks");
        Assert.True(batches.Sum(b => b.Bytes.Length) < 200 * 500, "not everything may be in flight at once");

        // Acks open the window; eventually all 200 entries are everywhere.
        c.DeliverAll();
        c.Run(50);
        foreach (var id in c.Ids) Assert.Equal(leader.LastIndex, c.Logs[id].LastIndex);
        Assert.Equal(leader.LastIndex, leader.CommitIndex);
    }

    [Fact]
    public void Lagging_follower_catches_up_from_the_log_after_a_restart()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var lagging = c.Ids.First(i => i != leader.NodeId);
        c.Isolate(lagging);
        for (var i = 0; i < 300; i++)
        {
            leader.Propose(2, 1_000_000 + i, new byte[] { (byte)i });
            if (i % 10 == 0) c.Run(1);
        }

        c.Run(20);
        Assert.Equal(leader.LastIndex, leader.CommitIndex); // a majority of two
        Assert.True(c.Logs[lagging].LastIndex < leader.LastIndex);
        c.Restart(lagging);
        c.Cut.Clear();
        c.Run(400);
        Assert.Equal(leader.LastIndex, c.Logs[lagging].LastIndex);
        Assert.Equal(leader.CommitIndex, c.Nodes[lagging].CommitIndex);
        for (long i = 1; i <= leader.LastIndex; i++) Assert.Equal(leader.TermAt(i), c.Logs[lagging].TermAt(i));
    }

    [Fact]
    public void Lost_messages_are_resent_after_the_resend_timeout()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        for (var i = 0; i < 20; i++) leader.Propose(2, 1_000_000 + i, One);
        leader.Flush(c.NowMs);
        c.Wire.Clear(); // the whole stream is lost
        c.Run(200);
        foreach (var id in c.Ids) Assert.Equal(leader.LastIndex, c.Logs[id].LastIndex);
        Assert.Equal(leader.LastIndex, leader.CommitIndex);
        Assert.True(leader.Counters.StreamResets > 0);
    }

    [Fact]
    public void A_stale_leader_learns_the_new_term_from_a_rejection_and_steps_down()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        var follower = c.Ids.First(i => i != leader.NodeId);
        leader.Receive(follower, Messages.AppendResponse(leader.Term + 1, false, 0, 0), c.NowMs);
        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.Equal(-1, leader.Propose(2, 2_000_000, One));
    }
}
