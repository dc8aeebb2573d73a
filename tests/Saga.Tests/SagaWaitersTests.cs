using Wallet.Engine.Ledger;
using Waiters = Wallet.Saga.SagaWaiters<Wallet.Saga.Tests.SagaWaitersTests.Answers>;

namespace Wallet.Saga.Tests;

/// <summary>
/// The drivers' table of clients owed an answer: a ring indexed by the driver's consecutive correlation ids, with an
/// overflow map for clients still waiting when the ring comes round. Every client gets exactly one answer (or one
/// refusal), whatever the order of decisions and however far the ring has wrapped.
/// </summary>
public sealed class SagaWaitersTests
{
    public sealed class Answers : ISagaCompletion
    {
        public List<(long Client, ulong Saga, ResultCode Code)> Got { get; } = [];

        public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) => Got.Add((correlationId, sagaId, code));
    }

    private readonly struct Refusals(List<long> refused) : Waiters.IWaiterRefusal
    {
        public void Refuse(in Waiters.Waiter waiter) => refused.Add(waiter.ClientCorrelationId);
    }

    private static Waiters.Waiter Client(Answers to, long clientId) =>
        new(to, clientId, new Transfer { Id = (UInt128)clientId, Amount = 1 }, SagaMode.Saga);

    [Theory]
    [InlineData(100, 1)]        // well inside the ring
    [InlineData(5_000, 7)]      // wraps the 1,024-slot ring almost five times before any answer
    [InlineData(3_000, 13)]
    public void Every_client_is_answered_once_in_any_order_however_far_the_ring_wrapped(int count, int seed)
    {
        var answers = new Answers();
        var waiters = new Waiters(capacity: 16); // the ring has SagaWaiters.MinRingSlots slots
        for (long c = 0; c < count; c++) waiters.Add(c, Client(answers, 1_000_000 + c));
        Assert.Equal(count, waiters.WaitingCount);
        Assert.Equal(Math.Max(0, count - Waiters.MinRingSlots), waiters.OverflowCount);

        long[] order = new long[count];
        for (int i = 0; i < count; i++) order[i] = i;
        new Random(seed).Shuffle(order);
        foreach (long c in order) waiters.OnDecided(c, (ulong)c + 1, ResultCode.Ok, timestamp: 1);
        waiters.OnDecided(count + 5, 1, ResultCode.Ok, 1); // not registered here (another leader's Begin): ignored
        Assert.Equal(count, waiters.Fire());

        Assert.Equal(0, waiters.WaitingCount);
        Assert.Equal(0, waiters.OverflowCount);
        Assert.Equal(count, answers.Got.Count);
        var seen = new HashSet<long>();
        foreach ((long client, ulong saga, ResultCode code) in answers.Got)
        {
            Assert.True(seen.Add(client), $"client {client} answered twice");
            Assert.Equal((ulong)(client - 1_000_000) + 1, saga); // each answer reached its own client
            Assert.Equal(ResultCode.Ok, code);
        }
    }

    [Fact]
    public void A_client_whose_saga_is_undecided_is_parked_then_proposed_again_after_the_decision()
    {
        var answers = new Answers();
        var waiters = new Waiters(capacity: 16);
        waiters.Add(1, Client(answers, 10));
        waiters.Add(2, Client(answers, 20)); // a repeat of saga 7 while it is undecided
        waiters.OnDecided(2, 7, ResultCode.SagaInProgress, 1);
        Assert.False(waiters.TryTakeResubmit(out _));
        Assert.Equal(0, waiters.Fire());

        waiters.OnDecided(1, 7, ResultCode.Ok, 2); // saga 7 decided: its parked repeat is released
        Assert.True(waiters.TryTakeResubmit(out Waiters.Waiter again));
        Assert.Equal(20, again.ClientCorrelationId);
        Assert.Equal(1, waiters.Fire());
        Assert.Equal((10L, 7UL, ResultCode.Ok), Assert.Single(answers.Got));
    }

    [Fact]
    public void Refuse_all_reaches_every_waiting_parked_and_queued_client_once()
    {
        var answers = new Answers();
        var waiters = new Waiters(capacity: 16);
        const int count = 2_500; // more than the ring: some wait in the overflow map
        for (long c = 0; c < count; c++) waiters.Add(c, Client(answers, c));
        waiters.OnDecided(0, 3, ResultCode.SagaInProgress, 1); // client 0 parked on saga 3
        var refused = new List<long>();
        var refusal = new Refusals(refused);
        waiters.RefuseAll(ref refusal);

        refused.Sort();
        Assert.Equal(count, refused.Count);
        for (int i = 0; i < count; i++) Assert.Equal(i, refused[i]);
        Assert.Equal(0, waiters.WaitingCount);
        Assert.Equal(0, waiters.OverflowCount);
        waiters.OnDecided(5, 9, ResultCode.Ok, 1); // forgotten: nothing to answer
        Assert.Equal(0, waiters.Fire());
        Assert.Empty(answers.Got);
    }
}
