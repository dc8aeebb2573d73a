using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Replication.Cluster;

namespace Wallet.Cluster.Tests;

/// <summary>
/// Catch-up by snapshot over the real transport: three in-process replicas on loopback TCP with journal retention on.
/// A follower is stopped; the others go on, snapshot and delete the journal segments below their newest snapshot (minus
/// the retain margin); the follower restarts with a log that ends before the leader's first entry, is sent the leader's
/// snapshot in chunks, installs it, resets its BLP from it and continues from the log — and every replica's state agrees.
/// </summary>
public sealed class SnapshotCatchUpTests
{
    private static long s_correlation;

    private static byte[] Bytes<T>(params T[] items) where T : struct => MemoryMarshal.AsBytes(items.AsSpan()).ToArray();

    private static Account Acc(UInt128 id) => new() { Id = id, Ledger = 1, Code = 1 };

    private static Transfer Tx(UInt128 id, UInt128 debit, UInt128 credit, long amount) =>
        new() { Id = id, DebitAccountId = debit, CreditAccountId = credit, Amount = amount, Ledger = 1, Code = 1 };

    private static Answer Exec(LocalCluster cluster, ushort kind, byte[] payload)
    {
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            LocalCluster.Replica node = cluster.WaitForLeader();
            long correlation = Interlocked.Increment(ref s_correlation);
            SubmitStatus status;
            while ((status = node.Engine.TrySubmit(kind, correlation, sessionId: 1, payload)) == SubmitStatus.Busy)
            {
                Assert.True(Environment.TickCount64 < deadline, "ingress stayed full");
                Thread.Sleep(1);
            }
            Assert.Equal(SubmitStatus.Accepted, status);
            Answer a = node.Results.Wait(correlation);
            if (a.Kind != QueryKind.NotLeader) return a;
            Assert.True(Environment.TickCount64 < deadline, "refused as NotLeader for 30 s");
        }
    }

    private static void AssertOk(Answer a) =>
        Assert.All(a.Results, r => Assert.True(r.Code is ResultCode.Ok or ResultCode.Exists, $"result {r.Code}"));

    /// <summary>A replica's state at <paramref name="index"/>, rebuilt from its own files (newest snapshot at or below it + journal).</summary>
    private static UInt128 DigestAt(LocalCluster cluster, int id, long index) =>
        LedgerReplay.Replay(cluster.DataDirectory(id), LocalCluster.Ledger, ReplayTarget.AtIndex(index), useSnapshots: true).Ledger.ComputeDigest();

    private static void WaitFor(Func<bool> condition, int timeoutMs, string what)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, what);
            Thread.Sleep(10);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_follower_behind_the_leaders_compacted_log_is_caught_up_by_snapshot_and_agrees()
    {
        await Task.Yield();
        using var cluster = new LocalCluster(3, new LocalCluster.SnapshotTuning(IntervalCommands: 200, RetainMarginEntries: 50, SnapshotChunkBytes: 16 << 10));
        AssertOk(Exec(cluster, (ushort)CommandKind.CreateAccounts, Bytes(Acc(1), Acc(2))));
        for (int i = 0; i < 20; i++) AssertOk(Exec(cluster, (ushort)CommandKind.CreateTransfers, Bytes(Tx(10_000 + (UInt128)i, 1, 2, 1))));

        LocalCluster.Replica leader = cluster.WaitForLeader();
        int lagging = leader.Id == 3 ? 2 : 3;
        cluster.WaitApplied(leader.Agent.CommitIndex);
        long laggingLast = cluster[lagging].Agent.LastIndex;
        cluster.Stop(lagging);

        // Enough commands for several snapshots and journal segments on the two live replicas.
        const int Transfers = 1500;
        Answer last = default!;
        for (int i = 0; i < Transfers; i++)
        {
            last = Exec(cluster, (ushort)CommandKind.CreateTransfers, Bytes(Tx(20_000 + (UInt128)i, 1, 2, 1)));
            AssertOk(last);
        }

        // The live replicas compact: the leader's log no longer holds what the stopped follower needs next.
        leader = cluster.WaitForLeader();
        LocalCluster.Replica leaderNow = leader;
        WaitFor(() => leaderNow.Engine.Sequencer!.CommandJournal.FirstIndex > laggingLast + 1, 20_000,
            $"the leader's journal was not compacted past index {laggingLast + 1}");
        long leaderFirst = leader.Engine.Sequencer!.CommandJournal.FirstIndex;
        Assert.True(leader.Engine.LastSnapshotIndex >= leaderFirst - 1, "compacted below the newest snapshot");

        // The follower comes back: it can only be caught up by the leader's snapshot.
        cluster.Start(lagging);
        cluster.WaitApplied(last.Index, timeoutMs: 30_000);
        LocalCluster.Replica follower = cluster[lagging];
        Assert.True(follower.Agent.Counters.SnapshotsInstalled >= 1, "the follower did not install a snapshot");
        Assert.True(cluster.WaitForLeader().Agent.Counters.SnapshotTransfersCompleted >= 1, "the leader completed no snapshot transfer");
        Assert.Equal(0, cluster.WaitForLeader().Agent.Counters.SnapshotRequired);
        // Its journal restarted after the snapshot: nothing of the old prefix is left, nothing was replayed from genesis.
        Assert.True(follower.Engine.Sequencer!.CommandJournal.FirstIndex > laggingLast + 1);
        // The monitoring mirrors (metrics: cluster.snapshots_installed, cluster.log_first_index, …) show it.
        WaitFor(() => follower.Agent.SnapshotGaugeValue(SnapshotGauge.Installed) >= 1, 5_000, "gauge");
        Assert.True(follower.Agent.SnapshotGaugeValue(SnapshotGauge.LogFirstIndex) > laggingLast + 1);
        Assert.Equal(0, follower.Agent.SnapshotGaugeValue(SnapshotGauge.Rejected));

        // New work after the install is replicated to it like to any follower.
        Answer after = Exec(cluster, (ushort)CommandKind.CreateTransfers, Bytes(Tx(99_999, 1, 2, 5)));
        AssertOk(after);
        cluster.WaitApplied(after.Index, timeoutMs: 15_000);
        Answer balance = Exec(cluster, QueryKind.LookupAccounts, Bytes((UInt128)2));
        Assert.Equal(20L + Transfers + 5, MemoryMarshal.Cast<byte, Account>(balance.Payload)[0].CreditsPosted);

        // Every replica agrees on the state at the same index (each from its own snapshot + journal).
        UInt128 digest = DigestAt(cluster, cluster.WaitForLeader().Id, after.Index);
        for (int id = 1; id <= 3; id++) Assert.Equal(digest, DigestAt(cluster, id, after.Index));

        // And the installed follower restarts from its installed snapshot + log.
        cluster.Stop(lagging);
        AuditReport audit = DataDirectoryAudit.Verify(cluster.DataDirectory(lagging));
        Assert.True(audit.Ok, string.Join("; ", audit.Findings.Where(f => !f.Ok).Select(f => $"{f.What}: {f.Reason}")));
        cluster.Start(lagging);
        cluster.WaitApplied(after.Index, timeoutMs: 15_000);
        Assert.Equal(digest, DigestAt(cluster, lagging, after.Index));
    }
}
