namespace Wallet.Replication.Tests;

/// <summary>
/// A replica that lost its disk (empty log, term 0, no vote) restarting as a full member endangers acknowledged entries
/// and votes; with <see cref="RaftOptions.RejoinAfterDataLoss"/> it is a non-voting catch-up member until caught up.
/// </summary>
public sealed class RejoinTests
{
    private const ushort Data = 2;

    /// <summary>
    /// A leads; B is cut off; e is committed on {A, C}; C loses its disk and restarts; A dies; B and C can talk.
    /// Returns (A, B, C, index of e, term of e).
    /// </summary>
    private static (int A, int B, int C, long E, long ETerm) CommittedOnLeaderAndOneFollowerThenFollowerLosesItsDisk(TestCluster c, bool rejoin)
    {
        var leader = c.ElectLeader();
        c.Run(30);
        int a = leader.NodeId;
        int b = c.Ids.First(id => id != a);
        int cc = c.Ids.First(id => id != a && id != b);
        c.Isolate(b);
        var e = leader.Propose(Data, 1_000_000, [0xEE]);
        c.Run(30);
        Assert.True(leader.CommitIndex >= e, "e is committed on {A, C}");
        Assert.Equal(leader.Term, c.Logs[cc].TermAt(e));
        Assert.True(c.Logs[b].LastIndex < e, "B never saw e");

        c.WipeAndRestart(cc, rejoin);
        c.Isolate(a); // A dies
        c.Cut.Remove((b, cc));
        c.Cut.Remove((cc, b));
        return (a, b, cc, e, leader.Term);
    }

    [Fact]
    public void Without_the_option_a_wiped_replica_votes_a_leader_that_lacks_a_committed_entry()
    {
        var c = new TestCluster(3);
        var (a, b, cc, e, eTerm) = CommittedOnLeaderAndOneFollowerThenFollowerLosesItsDisk(c, rejoin: false);
        c.Run(1000);

        // This is why the option exists: B leads with C's vote and its log has something else at e's index.
        var leader = c.Leader();
        Assert.NotNull(leader);
        Assert.Equal(b, leader!.NodeId);
        Assert.NotEqual(a, leader.NodeId);
        Assert.True(leader.CommitIndex >= e);
        Assert.NotEqual(eTerm, leader.TermAt(e));
        Assert.NotEqual(eTerm, c.Logs[cc].TermAt(e));
    }

    [Fact]
    public void With_the_option_no_leader_is_elected_without_the_entry_and_it_stays_committed_once_the_old_leader_returns()
    {
        var c = new TestCluster(3);
        var (a, b, cc, e, eTerm) = CommittedOnLeaderAndOneFollowerThenFollowerLosesItsDisk(c, rejoin: true);
        c.Run(2000);

        Assert.NotEqual(RaftRole.Leader, c.Nodes[b].Role);
        Assert.NotEqual(RaftRole.Candidate, c.Nodes[b].Role);
        Assert.Equal(RaftRole.Follower, c.Nodes[cc].Role);
        Assert.True(c.Nodes[cc].Rejoining);
        Assert.Equal(0, c.Nodes[cc].Counters.PreVotesStarted + c.Nodes[cc].Counters.ElectionsStarted);
        Assert.True(c.Nodes[b].Counters.PreVotesStarted > 3); // B kept asking, C kept refusing
        Assert.Equal(0, c.Nodes[b].Counters.ElectionsStarted);

        c.Cut.Clear(); // A returns
        c.Run(2000);
        var leader = c.Leader();
        Assert.NotNull(leader);
        Assert.False(c.Nodes[cc].Rejoining);
        foreach (var id in c.Ids)
        {
            Assert.Equal(eTerm, c.Logs[id].TermAt(e));
            Assert.True(c.Nodes[id].CommitIndex >= e, $"node {id} commit {c.Nodes[id].CommitIndex} < {e}");
            Assert.Equal(0, c.Nodes[id].Counters.ProtocolViolations);
        }

        Assert.Equal(a, leader!.NodeId); // only A's log holds e, so only A could be elected
    }

    [Fact]
    public void Without_the_option_a_wiped_replica_votes_twice_in_one_term()
    {
        var c = new TestCluster(3);
        var voter = c.Nodes[3];
        voter.Receive(1, Messages.VoteRequest(term: 5, lastIndex: 0, lastTerm: 0), 0);
        Assert.True(Messages.Granted(c.Wire.Single().Bytes));
        Assert.Equal(new RaftHardState(5, 1), c.Stores[3].Load());

        c.WipeAndRestart(3, rejoin: false);
        c.Wire.Clear();
        c.Nodes[3].Receive(2, Messages.VoteRequest(term: 5, lastIndex: 0, lastTerm: 0), 0);
        // Two votes in term 5: with their own votes, 1 and 2 both have a majority of 3.
        Assert.True(Messages.Granted(c.Wire.Single().Bytes));
    }

    [Fact]
    public void With_the_option_a_wiped_replica_refuses_votes_and_records_its_first_leader_as_its_vote_in_that_term()
    {
        var c = new TestCluster(3);
        c.Nodes[3].Receive(1, Messages.VoteRequest(term: 5, lastIndex: 0, lastTerm: 0), 0);
        Assert.True(Messages.Granted(c.Wire.Single().Bytes));
        c.WipeAndRestart(3, rejoin: true);
        var node = c.Nodes[3];
        Assert.True(node.Rejoining);

        // Votes and pre-votes are refused while rejoining; the term rules are unchanged (the term is adopted).
        c.Wire.Clear();
        node.Receive(2, Messages.VoteRequest(term: 5, lastIndex: 0, lastTerm: 0), 0);
        Assert.False(Messages.Granted(c.Wire.Single().Bytes));
        Assert.Equal(5, node.Term);
        Assert.Equal(RaftHardState.NoVote, node.VotedFor);
        c.Wire.Clear();
        node.Receive(2, Messages.VoteRequest(term: 6, lastIndex: 9, lastTerm: 5, preVote: true), 0);
        Assert.False(Messages.Granted(c.Wire.Single().Bytes));

        // The leader of term 5 (1) makes contact: its id is the vote in term 5, durable before any acknowledgement.
        c.Wire.Clear();
        node.Receive(1, Messages.AppendEntries(term: 5, prevIndex: 0, prevTerm: 0, leaderCommit: 0), 1);
        Assert.Equal(new RaftHardState(5, 1), c.Stores[3].Load());
        Assert.Empty(c.Wire); // the ack waits for Flush, after the save

        // Caught up: the leader's term entry is durable and committed, an election timeout after first contact.
        node.Receive(1, Messages.AppendEntries(5, 0, 0, 1, (5, Data, 10, [1])), 2);
        node.Flush(2);
        Assert.True(node.Rejoining); // c0 is still being gathered
        node.Receive(1, Messages.AppendEntries(5, 1, 5, 1), 150);
        node.Flush(150);
        Assert.False(node.Rejoining);

        // Even as a full member: no second vote in term 5.
        c.Wire.Clear();
        node.Receive(2, Messages.VoteRequest(term: 5, lastIndex: 9, lastTerm: 4), 151);
        Assert.False(Messages.Granted(c.Wire.Single().Bytes));
        Assert.Equal(1, node.VotedFor);

        // But it votes again in a later term, once outside the leader's lease.
        c.Wire.Clear();
        node.Receive(2, Messages.VoteRequest(term: 6, lastIndex: 9, lastTerm: 5), 400);
        Assert.True(Messages.Granted(c.Wire.Single().Bytes));
        Assert.Equal(new RaftHardState(6, 2), c.Stores[3].Load());
    }

    [Fact]
    public void A_rejoining_replica_waits_until_it_holds_the_commit_index_the_leader_reported_at_first_contact()
    {
        var c = new TestCluster(3);
        c.WipeAndRestart(3, rejoin: true);
        var node = c.Nodes[3];
        // The leader of term 5 has entries 1..10 of its term, all committed; the first message carries 1..3.
        node.Receive(1, Messages.AppendEntries(5, 0, 0, 10, Entries(1, 3, 5)), 0);
        node.Flush(0);
        node.Receive(1, Messages.AppendEntries(5, 3, 5, 10), 200); // n = 1 is durable and committed, but c0 = 10
        node.Flush(200);
        Assert.True(node.Rejoining);
        node.Receive(1, Messages.AppendEntries(5, 3, 5, 10, Entries(4, 9, 5)), 210);
        node.Flush(210);
        Assert.True(node.Rejoining);
        node.Receive(1, Messages.AppendEntries(5, 9, 5, 10, Entries(10, 10, 5)), 220);
        node.Flush(220);
        Assert.False(node.Rejoining);
    }

    [Fact]
    public void A_rejoining_replica_waits_until_the_leaders_commit_index_reaches_the_first_entry_of_its_term()
    {
        var c = new TestCluster(3);
        c.WipeAndRestart(3, rejoin: true);
        var node = c.Nodes[3];
        // Leader of term 5: entries 1..5 of term 4 (committed), its term's entry at 6 (n), not yet committed.
        node.Receive(1, Messages.AppendEntries(5, 0, 0, 5, [.. Entries(1, 5, 4), .. Entries(6, 6, 5)]), 0);
        node.Flush(0);
        node.Receive(1, Messages.AppendEntries(5, 6, 5, 5), 200);
        node.Flush(200);
        Assert.True(node.Rejoining); // everything up to n is durable here, but the leader has not committed n yet
        node.Receive(1, Messages.AppendEntries(5, 6, 5, 6), 210);
        node.Flush(210);
        Assert.False(node.Rejoining);
    }

    [Fact]
    public void A_new_leader_term_before_the_catch_up_completes_starts_it_over_with_the_new_leader()
    {
        var c = new TestCluster(3);
        c.WipeAndRestart(3, rejoin: true);
        var node = c.Nodes[3];
        node.Receive(1, Messages.AppendEntries(5, 0, 0, 1, Entries(1, 1, 5)), 0);
        node.Flush(0);
        Assert.Equal(new RaftHardState(5, 1), c.Stores[3].Load());

        // Leader 2 of term 6 (it has 1 and its own entry at 2) takes over before the election timeout is up.
        node.Receive(2, Messages.AppendEntries(6, 1, 5, 1, Entries(2, 2, 6)), 50);
        node.Flush(50);
        Assert.Equal(new RaftHardState(6, 2), c.Stores[3].Load());
        node.Receive(2, Messages.AppendEntries(6, 2, 6, 1), 120); // term 5's timer would be up, term 6's is not
        node.Flush(120);
        Assert.True(node.Rejoining);
        node.Receive(2, Messages.AppendEntries(6, 2, 6, 1), 160);
        node.Flush(160);
        Assert.True(node.Rejoining); // n = 2 (term 6's first entry) not yet committed by leader 2
        node.Receive(2, Messages.AppendEntries(6, 2, 6, 2), 170);
        node.Flush(170);
        Assert.False(node.Rejoining);
    }

    [Fact]
    public void A_rejoining_replica_catches_up_from_the_log_then_votes_and_campaigns_again()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        for (var i = 0; i < 50; i++) leader.Propose(Data, 1_000_000 + i, [(byte)i]);
        c.Run(30);
        var wiped = c.Ids.First(id => id != leader.NodeId);
        var other = c.Ids.First(id => id != leader.NodeId && id != wiped);
        c.WipeAndRestart(wiped, rejoin: true);
        Assert.True(c.Nodes[wiped].Rejoining);
        c.Run(300);

        var node = c.Nodes[wiped];
        Assert.False(node.Rejoining);
        Assert.Equal(leader.LastIndex, node.LastIndex);
        Assert.Equal(leader.CommitIndex, node.CommitIndex);
        Assert.Equal(new RaftHardState(leader.Term, leader.NodeId), c.Stores[wiped].Load());

        // The old leader dies: the other two need each other's vote, so the caught-up replica takes part again.
        c.Isolate(leader.NodeId);
        c.Run(1500);
        var next = c.Nodes.Values.Single(n => n.Role == RaftRole.Leader && n.NodeId != leader.NodeId);
        Assert.True(next.Term > leader.Term);
        Assert.Contains(next.NodeId, new[] { wiped, other });
        Assert.True(node.Counters.PreVotesStarted > 0 || c.Stores[wiped].Load().VotedFor == other);
        var index = next.Propose(Data, 9_000_000, [9]);
        c.Run(30);
        Assert.Equal(index, c.Nodes[wiped].CommitIndex);
        Assert.Equal(index, c.Nodes[other].CommitIndex);
    }

    [Fact]
    public void A_rejoining_replica_catches_up_through_install_snapshot_when_the_log_was_compacted()
    {
        var c = new TestCluster(3, maxMessageBytes: 4096, maxInFlight: 8192, snapshots: true, snapshotChunkBytes: 1024);
        var leader = c.ElectLeader();
        for (var i = 0; i < 200; i++) leader.Propose(Data, 1_000_000 + i, [1, 2, 3]);
        c.Run(50);
        var wiped = c.Ids.First(id => id != leader.NodeId);
        var other = c.Ids.First(id => id != leader.NodeId && id != wiped);
        RaftSnapshotMeta snapshot = default;
        foreach (var id in new[] { leader.NodeId, other }) snapshot = SnapshotAndCompact(c, id, margin: 10);
        Assert.True(c.Logs[leader.NodeId].FirstIndex > 1);

        c.WipeAndRestart(wiped, rejoin: true);
        c.Run(400);

        var node = c.Nodes[wiped];
        Assert.Equal(1, node.SnapshotInstalls);
        Assert.Equal(snapshot, node.LastInstalledSnapshot);
        Assert.False(node.Rejoining);
        Assert.Equal(leader.LastIndex, node.LastIndex);
        Assert.Equal(snapshot.Index + 1, c.Logs[wiped].FirstIndex);

        c.Isolate(leader.NodeId);
        c.Run(1500);
        var next = c.Nodes.Values.Single(n => n.Role == RaftRole.Leader && n.NodeId != leader.NodeId);
        Assert.True(next.Term > leader.Term);
    }

    [Fact]
    public void A_restart_with_the_option_left_on_and_the_data_intact_just_repeats_the_catch_up()
    {
        var c = new TestCluster(3);
        var leader = c.ElectLeader();
        leader.Propose(Data, 1_000_000, [1]);
        c.Run(30);
        var follower = c.Ids.First(id => id != leader.NodeId);
        var before = c.Stores[follower].Load();
        c.Restart(follower, rejoin: true);
        Assert.True(c.Nodes[follower].Rejoining);
        c.Run(300);
        Assert.False(c.Nodes[follower].Rejoining);
        var after = c.Stores[follower].Load();
        Assert.Equal(before.CurrentTerm, after.CurrentTerm);
        // Its own vote of the term is kept; with none, the leader it followed is recorded.
        Assert.Equal(before.VotedFor == RaftHardState.NoVote ? leader.NodeId : before.VotedFor, after.VotedFor);
        Assert.Same(leader, c.Leader());
    }

    [Fact]
    public void The_option_is_refused_on_a_single_member_group_and_without_check_quorum()
    {
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1], RejoinAfterDataLoss = true }.Validate());
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1, 2, 3], RejoinAfterDataLoss = true, CheckQuorum = false }.Validate());
        new RaftOptions { NodeId = 1, Members = [1, 2, 3], RejoinAfterDataLoss = true }.Validate();
    }

    private static (long Term, ushort Type, long Ts, byte[] Payload)[] Entries(long from, long to, long term)
    {
        var list = new (long, ushort, long, byte[])[to - from + 1];
        for (var i = from; i <= to; i++) list[i - from] = (term, Data, 100 + i, [(byte)i]);
        return list;
    }

    /// <summary>Snapshots a node at its commit index (fake state: the node never reads it) and compacts its log below it minus a margin.</summary>
    private static RaftSnapshotMeta SnapshotAndCompact(TestCluster c, int id, int margin)
    {
        var node = c.Nodes[id];
        var log = c.Logs[id];
        var index = node.CommitIndex;
        var payload = new byte[20_000];
        for (var i = 0; i < payload.Length; i++) payload[i] = (byte)(i * 3 + index);
        var meta = c.Snapshots[id].Save(index, log.TermAt(index), 1_000_000 + index, (UInt128)index, payload);
        log.CompactBefore(index - margin + 1);
        return meta;
    }
}
