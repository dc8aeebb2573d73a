using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Cluster.Tests;

/// <summary>
/// Three replicas of one partition over loopback TCP: one leader sequences, a majority makes a command committed, every
/// replica's BLP applies exactly the committed log, and the state survives the loss of the leader.
/// </summary>
public sealed class ReplicatedPartitionTests
{
    private static long s_correlation;

    private static byte[] Bytes<T>(params T[] items) where T : struct => MemoryMarshal.AsBytes(items.AsSpan()).ToArray();

    private static Account Acc(UInt128 id, AccountFlags flags = AccountFlags.None) => new() { Id = id, Ledger = 1, Code = 1, Flags = flags };

    private static Transfer Tx(UInt128 id, UInt128 debit, UInt128 credit, long amount) =>
        new() { Id = id, DebitAccountId = debit, CreditAccountId = credit, Amount = amount, Ledger = 1, Code = 1 };

    private static Answer Run(LocalCluster.Replica node, CommandKind kind, byte[] payload) => Run(node, (ushort)kind, payload);

    private static Answer Run(LocalCluster.Replica node, ushort kind, byte[] payload)
    {
        long correlation = Interlocked.Increment(ref s_correlation);
        long deadline = Environment.TickCount64 + 10_000;
        SubmitStatus status;
        while ((status = node.Engine.TrySubmit(kind, correlation, sessionId: 1, payload)) == SubmitStatus.Busy)
        {
            Assert.True(Environment.TickCount64 < deadline, "ingress stayed full");
            Thread.Sleep(1);
        }
        Assert.Equal(SubmitStatus.Accepted, status);
        return node.Results.Wait(correlation);
    }

    /// <summary>
    /// What a client does: send to the leader; on NotLeader (leadership moved with the request queued) find the leader
    /// and resubmit the same ids. A resubmitted command that had committed answers Exists (the original outcome).
    /// </summary>
    private static Answer Exec(LocalCluster cluster, CommandKind kind, byte[] payload) => Exec(cluster, (ushort)kind, payload);

    private static Answer Exec(LocalCluster cluster, ushort kind, byte[] payload)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            Answer a = Run(cluster.WaitForLeader(), kind, payload);
            if (a.Kind != QueryKind.NotLeader) return a;
            Assert.True(Environment.TickCount64 < deadline, "refused as NotLeader for 30 s");
        }
    }

    private static void AssertAllOk(Answer a)
    {
        Assert.NotEqual(QueryKind.NotLeader, a.Kind);
        Assert.All(a.Results, r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, $"result {r.Code}"));
    }

    private static Account Lookup(LocalCluster cluster, UInt128 id) =>
        MemoryMarshal.Cast<byte, Account>(Exec(cluster, QueryKind.LookupAccounts, Bytes(id)).Payload)[0];

    /// <summary>Each node's state at <paramref name="index"/>, rebuilt from its own journal (a node that is down or up).</summary>
    private static UInt128 DigestAt(LocalCluster cluster, int id, long index) =>
        LedgerReplay.Replay(cluster.DataDirectory(id), LocalCluster.Ledger, ReplayTarget.AtIndex(index), useSnapshots: false).Ledger.ComputeDigest();

    [Fact]
    public void A_majority_commits_every_replica_applies_the_same_log_and_followers_refuse_clients()
    {
        using var cluster = new LocalCluster(3);
        LocalCluster.Replica leader = cluster.WaitForLeader();

        AssertAllOk(Exec(cluster, CommandKind.CreateAccounts, Bytes(Acc(1), Acc(2, AccountFlags.DebitsMustNotExceedCredits))));
        AssertAllOk(Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(100, 1, 2, 700), Tx(101, 1, 2, 300))));
        Answer overdraft = Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(102, 2, 1, 5_000)));
        Assert.Equal(ResultCode.ExceedsCredits, overdraft.Results[0].Code);
        // A read on the leader sees its own writes.
        Assert.Equal(1000L, Lookup(cluster, 2).CreditsPosted);

        long committed = overdraft.Index;
        cluster.WaitApplied(committed);

        // Replica lag as the leader sees it: every follower catches up to 0 entries behind; a follower cannot tell (-1).
        LocalCluster.Replica current = cluster.WaitForLeader();
        long lagDeadline = Environment.TickCount64 + 10_000;
        for (int id = 1; id <= 3; id++)
        {
            while (current.Agent.LagOf(id) != 0)
            {
                Assert.True(Environment.TickCount64 < lagDeadline, $"node {id} still lags {current.Agent.LagOf(id)} entries");
                Thread.Sleep(5);
            }
        }
        Assert.Equal(-1, cluster[current.Id == 1 ? 2 : 1].Agent.LagOf(current.Id));
        Assert.Equal(-1, current.Agent.LagOf(42));

        // A follower's partition takes no client commands: the consensus module hands them back as NotLeader.
        leader = cluster.WaitForLeader();
        int followerId = leader.Id == 1 ? 2 : 1;
        Answer refused = Run(cluster[followerId], CommandKind.CreateAccounts, Bytes(Acc(3)));
        Assert.Equal(QueryKind.NotLeader, refused.Kind);
        Assert.Equal(leader.Id, cluster[followerId].Agent.LeaderId);

        UInt128 digest = DigestAt(cluster, leader.Id, committed);
        for (int id = 1; id <= 3; id++) Assert.Equal(digest, DigestAt(cluster, id, committed));
    }

    [Fact]
    public void Losing_the_leader_elects_another_that_keeps_every_acknowledged_transfer_and_the_old_one_catches_up()
    {
        using var cluster = new LocalCluster(3);
        cluster.WaitForLeader();
        AssertAllOk(Exec(cluster, CommandKind.CreateAccounts, Bytes(Acc(1), Acc(2))));
        for (int i = 0; i < 20; i++) AssertAllOk(Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(1000 + (UInt128)i, 1, 2, 10))));

        int oldLeader = cluster.WaitForLeader().Id;
        cluster.Stop(oldLeader);
        LocalCluster.Replica next = cluster.WaitForLeader();
        Assert.NotEqual(oldLeader, next.Id);

        // Every acknowledged transfer is there exactly once: resubmitting one answers Exists (the original outcome
        // stands) and moves nothing; the balance counts each of the 20 once.
        Answer repeat = Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(1005, 1, 2, 10)));
        Assert.Equal(ResultCode.Exists, Assert.Single(repeat.Results).Code);
        Assert.Equal(200L, Lookup(cluster, 2).CreditsPosted);
        // The new leader takes new work.
        Answer more = Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(2000, 1, 2, 1)));
        AssertAllOk(more);
        Assert.Equal(201L, Lookup(cluster, 2).CreditsPosted);

        // The old leader comes back as a follower and catches up from the new leader's log.
        cluster.Start(oldLeader);
        cluster.WaitApplied(more.Index, timeoutMs: 15_000);
        Assert.False(cluster[oldLeader].Agent.IsLeader && cluster[next.Id].Agent.IsLeader);
        UInt128 digest = DigestAt(cluster, next.Id, more.Index);
        for (int id = 1; id <= 3; id++) Assert.Equal(digest, DigestAt(cluster, id, more.Index));
    }

    [Fact]
    public void A_single_replica_cluster_elects_itself_and_commits_alone()
    {
        using var cluster = new LocalCluster(1);
        cluster.WaitForLeader();
        AssertAllOk(Exec(cluster, CommandKind.CreateAccounts, Bytes(Acc(1), Acc(2))));
        AssertAllOk(Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(1, 1, 2, 42))));
        Assert.Equal(42L, Lookup(cluster, 1).DebitsPosted);
    }
}
