using Wallet.Engine.Ledger;

namespace Wallet.Saga.Tests;

/// <summary>The coordinator over real partition engines (journals in temp directories, real threads).</summary>
public sealed class SagaCoordinatorTests
{
    private static (UInt128 A, UInt128 B, UInt128 C) Accounts(CoordinatorCluster cluster)
    {
        // A and C in partition 0, B in partition 1.
        UInt128 a = 0, b = 0, c = 0;
        for (UInt128 id = 1; a == 0 || b == 0 || c == 0; id++)
        {
            var p = cluster.Map.PartitionOf(id);
            if (p == 0 && a == 0) a = id;
            else if (p == 0 && c == 0) c = id;
            else if (p == 1 && b == 0) b = id;
        }

        return (a, b, c);
    }

    private static Transfer Tx(UInt128 id, UInt128 from, UInt128 to, long amount) =>
        new() { Id = id, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = 1, Code = 1 };

    private static long Net(Account a) => a.CreditsPosted - a.DebitsPosted;

    [Theory(Timeout = 60_000)]
    [InlineData(SagaMode.Saga)]
    [InlineData(SagaMode.Tcc)]
    [InlineData(SagaMode.TwoPhaseCommit)]
    public async Task Commits_and_compensations_move_exactly_the_right_money(SagaMode mode)
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var (a, b, _) = Accounts(cluster);
        cluster.Fund(a, b);
        var coordinator = cluster.StartCoordinator();
        var done = new CompletionWaiter();
        UInt128 missing = 500_000;
        while (cluster.Map.PartitionOf(missing) != 1) missing++;

        // One at a time: in 2PC a saga's prepare would make a concurrent one on the same account refuse (AccountLocked).
        Assert.True(coordinator.TrySubmit(Tx(1, a, b, 2_500), mode, 11, done));
        Assert.Equal(ResultCode.Ok, done.Wait(11));
        Assert.True(coordinator.TrySubmit(Tx(2, a, b, 10_000_000), mode, 12, done));
        Assert.Equal(ResultCode.ExceedsCredits, done.Wait(12));
        Assert.True(coordinator.TrySubmit(Tx(3, a, missing, 100), mode, 13, done));
        Assert.Equal(ResultCode.CreditAccountNotFound, done.Wait(13));
        Assert.True(coordinator.TrySubmit(Tx(4, a, b, 1) with { Flags = TransferFlags.Linked }, mode, 14, done));
        Assert.Equal(ResultCode.LinkedChainSpansPartitions, done.Wait(14));

        // A repeat gets the original outcome and moves nothing.
        Assert.True(coordinator.TrySubmit(Tx(1, a, b, 2_500), mode, 15, done));
        Assert.Equal(ResultCode.Ok, done.Wait(15));

        cluster.WaitSettled();
        var accountA = cluster.Account(a);
        var accountB = cluster.Account(b);
        Assert.Equal(100_000 - 2_500, Net(accountA));
        Assert.Equal(100_000 + 2_500, Net(accountB));
        Assert.Equal(0, accountA.DebitsPending);
        Assert.Equal(0, accountB.CreditsPending);
        var c0 = cluster.Clearing(0);
        var c1 = cluster.Clearing(1);
        Assert.Equal(0, Net(c0) + Net(c1));
        Assert.Equal(2_500, Net(c0));
        Assert.Equal(0, c0.CreditsPending + c1.DebitsPending);
        Assert.Equal(0, coordinator.ClearingFailures);
        Assert.Equal(0, coordinator.Machine.Anomalies);
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_phase_commit_keeps_accounts_locked_while_the_coordinator_is_down_and_finishes_after_restart()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var (a, b, c) = Accounts(cluster);
        cluster.Fund(a, b, c);

        // The coordinator "crashes" between prepare and commit: it never gets to send the commit.
        var first = cluster.StartCoordinator(sendFilter: step => step is SagaStep.SourceHold or SagaStep.DestCredit);
        var done = new CompletionWaiter();
        Assert.True(first.TrySubmit(Tx(1, a, b, 700), SagaMode.TwoPhaseCommit, 1, done));
        var deadline = Environment.TickCount64 + 20_000;
        while (cluster.Account(a).DebitsPending == 0 || cluster.Account(b).CreditsPending == 0)
        {
            Assert.True(Environment.TickCount64 < deadline, "prepares never applied");
            Thread.Sleep(10);
        }

        cluster.KillCoordinator();
        Assert.Equal(0, done.Count);

        // While it is down, both prepared accounts refuse every other transfer; an unrelated one does not.
        Assert.Equal(ResultCode.AccountLocked, cluster.Transfer1(Tx(50, a, c, 1)));
        Assert.Equal(ResultCode.AccountLocked, cluster.Transfer1(Tx(51, c, a, 1)));
        UInt128 d = c + 1;
        while (cluster.Map.PartitionOf(d) != 0 || d == a) d++;
        cluster.Fund(d);
        Assert.Equal(ResultCode.Ok, cluster.Transfer1(Tx(52, c, d, 1)));

        // Restart: the journal says prepared; the coordinator resends commit with the same step ids.
        var second = cluster.StartCoordinator();
        // The client asks again: the saga is still undecided, so its repeat is held until the decision (no
        // SagaInProgress to poll on) and then answered with the original outcome.
        var again = new CompletionWaiter();
        var correlation = cluster.NextCorrelation();
        Assert.True(second.TrySubmit(Tx(1, a, b, 700), SagaMode.TwoPhaseCommit, correlation, again));
        Assert.Equal(ResultCode.Ok, again.Wait(correlation));
        Assert.Equal(100_000 - 700 - 0, Net(cluster.Account(a)));
        Assert.Equal(100_000 + 700, Net(cluster.Account(b)));
        Assert.Equal(ResultCode.Ok, cluster.Transfer1(Tx(53, a, c, 1)));
        Assert.Equal(0, done.Count); // the first submitter's coordinator is gone; its client asks again (above)
    }

    [Fact(Timeout = 60_000)]
    public async Task A_credit_retried_after_its_partition_forgot_it_is_not_paid_twice()
    {
        await Task.Yield();
        const int Window = 64;
        using var cluster = new CoordinatorCluster(2, retentionCount: Window);
        var (a, b, _) = Accounts(cluster);
        UInt128 e = b + 1;
        while (cluster.Map.PartitionOf(e) != 1) e++;
        cluster.Fund(a, b, e);
        UInt128 bankOfB = ((UInt128)1 << 100) + 1; // CoordinatorCluster.Fund's bank on partition 1

        // The first coordinator holds the source, sends the credit, and dies before the credit's answer is journaled:
        // here it never sends it, and the test delivers that very step (BuildStep: every resend is identical) itself.
        var first = cluster.StartCoordinator(sendFilter: step => step is SagaStep.SourceHold);
        var done = new CompletionWaiter();
        Assert.True(first.TrySubmit(Tx(1, a, b, 700), SagaMode.Saga, 1, done));
        var deadline = Environment.TickCount64 + 20_000;
        while (cluster.Account(a).DebitsPending != 700)
        {
            Assert.True(Environment.TickCount64 < deadline, "the hold never applied");
            Thread.Sleep(10);
        }

        cluster.KillCoordinator();
        Assert.True(first.Machine.TryGetSagaByTransfer(1, out var saga));
        var credit = first.Machine.BuildStep(in saga, SagaStep.DestCredit);
        Assert.Equal([ResultCode.Ok], cluster.Run(1, CommandKind.SystemTransfers, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new[] { credit }.AsSpan())));
        Assert.Equal(100_000 + 700, Net(cluster.Account(b)));

        // The destination moves on past its window: the credit's record is forgotten.
        for (var i = 0; i < Window + 8; i++) Assert.Equal(ResultCode.Ok, cluster.Transfer1(Tx(5_000 + (UInt128)i, e, bankOfB, 1)));

        // Restart: the journal says the credit is outstanding, so it is sent again with the same step id. Without the
        // partition's mark it would apply a second time (b paid 1,400); it is refused, and so is the fence that would
        // otherwise void the hold although the credit applied. The saga ends as a counted anomaly, the hold kept.
        var second = cluster.StartCoordinator();
        var again = new CompletionWaiter();
        var correlation = cluster.NextCorrelation();
        Assert.True(second.TrySubmit(Tx(1, a, b, 700), SagaMode.Saga, correlation, again));
        Assert.Equal(ResultCode.StepOutcomeForgotten, again.Wait(correlation));
        // The completion names the saga, whose row (with the transfer) is what the node's anomaly log reports.
        Assert.True(second.Machine.TryGetSaga(again.SagaOf(correlation), out var ended));
        Assert.Equal((UInt128)1, ended.Transfer.Id);
        Assert.Equal(700, ended.Transfer.Amount);
        Assert.Equal(100_000 + 700, Net(cluster.Account(b)));
        Assert.Equal(700, cluster.Account(a).DebitsPending);
        Assert.Equal(100_000, Net(cluster.Account(a)));
        Assert.Equal(1, second.Machine.Anomalies);
        Assert.Equal(0, done.Count);
    }

    [Fact(Timeout = 120_000)]
    public async Task Many_concurrent_sagas_of_every_mode_all_end_and_conserve_money()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(3);
        var ids = new List<UInt128>();
        for (UInt128 id = 1; ids.Count < 12; id++) ids.Add(id);
        cluster.Fund([.. ids]);
        var coordinator = cluster.StartCoordinator();
        var done = new CompletionWaiter();
        const int perThread = 300;
        var submitted = 0;
        var threads = new Thread[2];
        for (var t = 0; t < threads.Length; t++)
        {
            var thread = t;
            threads[t] = new Thread(() =>
            {
                var rng = new Random(thread);
                for (var i = 0; i < perThread; i++)
                {
                    UInt128 from, to;
                    do
                    {
                        from = ids[rng.Next(ids.Count)];
                        to = ids[rng.Next(ids.Count)];
                    }
                    while (cluster.Map.PartitionOf(from) == cluster.Map.PartitionOf(to));

                    var correlation = (thread * 1_000_000L) + i;
                    var transfer = Tx((UInt128)(1_000 + correlation), from, to, rng.Next(1, 5_000));
                    while (!coordinator.TrySubmit(transfer, (SagaMode)(1 + (i % 3)), correlation, done)) Thread.Sleep(1);
                    Interlocked.Increment(ref submitted);
                }
            });
            threads[t].Start();
        }

        foreach (var t in threads) Assert.True(t.Join(60_000));
        done.WaitCount(submitted);
        Assert.Contains(ResultCode.Ok, done.Codes.Values);
        Assert.All(done.Codes.Values, code => Assert.True(code is ResultCode.Ok or ResultCode.ExceedsCredits or ResultCode.AccountLocked, code.ToString()));
        cluster.WaitSettled();

        long total = 0;
        foreach (var id in ids) total += Net(cluster.Account(id));
        Assert.Equal(12 * 100_000, total);
        long clearing = 0;
        for (var p = 0; p < 3; p++)
        {
            var account = cluster.Clearing(p);
            clearing += Net(account);
            Assert.Equal(0, account.CreditsPending + account.DebitsPending);
        }

        Assert.Equal(0, clearing);
        Assert.Equal(0, coordinator.Machine.Anomalies);
    }
}
