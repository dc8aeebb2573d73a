using Wallet.Engine.Ledger;

namespace Wallet.Saga.Tests;

/// <summary>
/// A batch submission is exactly a sequence of single ones: each transfer its own saga, its own outcome under its own
/// correlation, and the money moved is what the same transfers submitted one by one would move.
/// </summary>
public sealed class SagaBatchSubmitTests
{
    private static Transfer Tx(UInt128 id, UInt128 from, UInt128 to, long amount) =>
        new() { Id = id, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = 1, Code = 1 };

    private static long Net(Account a) => a.CreditsPosted - a.DebitsPosted;

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

    [Fact(Timeout = 60_000)]
    public async Task Each_transfer_of_a_batch_gets_its_own_outcome_and_only_the_valid_ones_move_money()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var (a, b, c) = Accounts(cluster);
        cluster.Fund(a, b, c);
        var coordinator = cluster.StartCoordinator();
        var done = new CompletionWaiter();

        Transfer[] batch =
        [
            Tx(1, a, b, 2_500),                                   // 101: Ok
            Tx(2, a, b, 10_000_000),                              // 102: more than A has
            Tx(3, a, c, 100),                                     // 103: same partition, refused by the sequencer
            Tx(4, b, a, 700),                                     // 104: Ok, the other direction
            Tx(5, a, b, 1) with { Flags = TransferFlags.Linked }, // 105: refused
            Tx(1, a, b, 2_500),                                   // 106: a repeat of 101 in the same batch: never applied twice
        ];
        Assert.True(coordinator.TrySubmit(batch, SagaMode.Saga, 101, done));
        done.WaitCount(batch.Length);

        Assert.Equal(ResultCode.Ok, done.Wait(101));
        Assert.Equal(ResultCode.ExceedsCredits, done.Wait(102));
        Assert.Equal(ResultCode.SamePartition, done.Wait(103));
        Assert.Equal(ResultCode.Ok, done.Wait(104));
        Assert.Equal(ResultCode.LinkedChainSpansPartitions, done.Wait(105));
        // A repeat of 101 in the same batch: held while 101 is undecided, then given the repeat's answer; nothing moves twice.
        Assert.Equal(ResultCode.Ok, done.Wait(106));

        cluster.WaitSettled();
        Assert.Equal(100_000 - 2_500 + 700, Net(cluster.Account(a)));
        Assert.Equal(100_000 + 2_500 - 700, Net(cluster.Account(b)));
        Assert.Equal(100_000, Net(cluster.Account(c)));
        Assert.Equal(0, cluster.Account(a).DebitsPending);
        Assert.Equal(0, Net(cluster.Clearing(0)) + Net(cluster.Clearing(1)));
        Assert.Equal(0, coordinator.Machine.Anomalies);
        Assert.Equal(0, coordinator.DroppedAnswers);
    }

    [Fact(Timeout = 60_000)]
    public async Task Many_batches_settle_exactly_with_no_answer_dropped()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var (a, b, _) = Accounts(cluster);
        cluster.Fund(a, b);
        var coordinator = cluster.StartCoordinator();
        var done = new CompletionWaiter();

        // 40 batches of 50 transfers of 1, alternating direction: many step answers per partition command, so the
        // partitions' answers take the batched inbox claim.
        const int Batches = 40, PerBatch = 50;
        var batch = new Transfer[PerBatch];
        long correlation = 1;
        UInt128 id = 1_000;
        for (var k = 0; k < Batches; k++)
        {
            for (var i = 0; i < PerBatch; i++) batch[i] = (k & 1) == 0 ? Tx(id++, a, b, 1) : Tx(id++, b, a, 3);
            var deadline = Environment.TickCount64 + 10_000;
            while (!coordinator.TrySubmit(batch, SagaMode.Saga, correlation, done))
            {
                Assert.True(Environment.TickCount64 < deadline, "the inbox never had room for a batch");
                Thread.Sleep(1);
            }

            correlation += PerBatch;
        }

        done.WaitCount(Batches * PerBatch);
        foreach (var (_, code) in done.Codes) Assert.Equal(ResultCode.Ok, code);
        cluster.WaitSettled();
        const long Moved = (Batches / 2 * PerBatch * 1) - (Batches / 2 * PerBatch * 3);
        Assert.Equal(100_000 - Moved, Net(cluster.Account(a)));
        Assert.Equal(100_000 + Moved, Net(cluster.Account(b)));
        Assert.Equal(0, Net(cluster.Clearing(0)) + Net(cluster.Clearing(1)));
        Assert.Equal(0, coordinator.DroppedAnswers);
        Assert.Equal(0, coordinator.Machine.Anomalies);
        Assert.Equal((ulong)(Batches * PerBatch) + 1, coordinator.Machine.NextSagaId);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_empty_batch_is_accepted_and_an_oversized_one_refused_before_anything_is_queued()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var coordinator = cluster.StartCoordinator();
        var done = new CompletionWaiter();
        Assert.True(coordinator.TrySubmit(ReadOnlySpan<Transfer>.Empty, SagaMode.Saga, 1, done));
        var tooMany = new Transfer[coordinator.MaxSubmitBatch + 1];
        Assert.Throws<ArgumentOutOfRangeException>(() => coordinator.TrySubmit(tooMany, SagaMode.Saga, 1, done));
        Thread.Sleep(50);
        Assert.Equal(0, done.Count);
        Assert.Equal(1UL, coordinator.Machine.NextSagaId);
    }
}
