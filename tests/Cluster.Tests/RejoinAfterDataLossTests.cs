using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Cluster.Tests;

/// <summary>
/// A replica whose data directory is wiped rejoins through the production agent (loopback TCP) with
/// RejoinAfterDataLoss: it is a non-voting catch-up member until caught up, then agrees with the others and votes again.
/// </summary>
public sealed class RejoinAfterDataLossTests
{
    private static long s_correlation;

    private static byte[] Bytes<T>(params T[] items) where T : struct => MemoryMarshal.AsBytes(items.AsSpan()).ToArray();

    private static Transfer Tx(UInt128 id, long amount) =>
        new() { Id = id, DebitAccountId = 1, CreditAccountId = 2, Amount = amount, Ledger = 1, Code = 1 };

    /// <summary>Submits to the leader, resubmitting the same ids on NotLeader (leadership moved).</summary>
    private static Answer Exec(LocalCluster cluster, CommandKind kind, byte[] payload)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            LocalCluster.Replica node = cluster.WaitForLeader();
            long correlation = Interlocked.Increment(ref s_correlation);
            SubmitStatus status;
            while ((status = node.Engine.TrySubmit((ushort)kind, correlation, sessionId: 1, payload)) == SubmitStatus.Busy)
            {
                Assert.True(Environment.TickCount64 < deadline, "ingress stayed full");
                Thread.Sleep(1);
            }
            Assert.Equal(SubmitStatus.Accepted, status);
            Answer a = node.Results.Wait(correlation);
            if (a.Kind != QueryKind.NotLeader)
            {
                Assert.All(a.Results, r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, $"result {r.Code}"));
                return a;
            }
            Assert.True(Environment.TickCount64 < deadline, "refused as NotLeader for 30 s");
        }
    }

    private static UInt128 DigestAt(LocalCluster cluster, int id, long index) =>
        LedgerReplay.Replay(cluster.DataDirectory(id), LocalCluster.Ledger, ReplayTarget.AtIndex(index), useSnapshots: false).Ledger.ComputeDigest();

    [Fact]
    public void A_wiped_follower_rejoins_as_a_non_voting_member_catches_up_and_then_votes_a_new_leader_in()
    {
        using var cluster = new LocalCluster(3);
        cluster.WaitForLeader();
        Exec(cluster, CommandKind.CreateAccounts, Bytes(
            new Account { Id = 1, Ledger = 1, Code = 1 }, new Account { Id = 2, Ledger = 1, Code = 1 }));
        for (int i = 0; i < 10; i++) Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(100 + (UInt128)i, 10)));

        int leader = cluster.WaitForLeader().Id;
        int lost = leader == 3 ? 2 : 3;
        cluster.Stop(lost);
        Directory.Delete(cluster.DataDirectory(lost), recursive: true); // the disk is gone
        for (int i = 0; i < 10; i++) Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(200 + (UInt128)i, 10)));

        cluster.Start(lost, rejoinAfterDataLoss: true);
        Assert.True(cluster[lost].Agent.Rejoining);
        long deadline = Environment.TickCount64 + 30_000;
        while (cluster[lost].Agent.Rejoining)
        {
            Assert.Null(cluster[lost].Agent.Failure);
            Assert.True(Environment.TickCount64 < deadline, "still rejoining after 30 s");
            Thread.Sleep(10);
        }
        Answer last = Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(300, 10)));
        cluster.WaitApplied(last.Index, timeoutMs: 15_000);
        Assert.Equal(DigestAt(cluster, leader, last.Index), DigestAt(cluster, lost, last.Index));

        // The leader goes down: the two left need each other's vote (if the rejoined replica leads by now, it already
        // campaigned again; otherwise it must vote the next leader in).
        int current = cluster.WaitForLeader().Id;
        cluster.Stop(current);
        LocalCluster.Replica next = cluster.WaitForLeader(timeoutMs: 15_000);
        Assert.NotEqual(current, next.Id);
        Answer after = Exec(cluster, CommandKind.CreateTransfers, Bytes(Tx(400, 10)));
        cluster.WaitApplied(after.Index, timeoutMs: 15_000);
        // The two live replicas (ids 1..3; `current` is down — it may have been the rejoined one, led after catching up).
        int other = 6 - current - next.Id;
        Assert.Equal(DigestAt(cluster, next.Id, after.Index), DigestAt(cluster, other, after.Index));
    }
}
