using System.Collections.Concurrent;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Tests;

/// <summary>
/// The coordinator delivers a round's outcomes inside one <see cref="ResultBurst"/> on its driver thread, so a front end
/// can flush each session once per round instead of once per answer (docs/BENCHMARKS.md §22).
/// </summary>
public sealed class SagaCompletionBurstTests
{
    private sealed class BurstObserver : ISagaCompletion, IPartitionResultHandler
    {
        public readonly ConcurrentDictionary<long, bool> OpenWhenCompleted = new();
        public int Flushes;
        public int ImmediateFlushes;

        public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
        {
            OpenWhenCompleted[correlationId] = ResultBurst.IsOpen;
            // What the gateway's completion does: defer the flush when a burst is open, else flush now.
            if (!ResultBurst.TryDefer(this)) Interlocked.Increment(ref ImmediateFlushes);
        }

        public void OnResult(ref ResultSlot result, bool endOfBatch) { }

        public void EndOfBatch() => Interlocked.Increment(ref Flushes);
    }

    [Fact(Timeout = 60_000)]
    public async Task Outcomes_are_delivered_inside_a_burst_and_flushed_once_per_round()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        UInt128 a = 0, b = 0;
        for (UInt128 id = 1; a == 0 || b == 0; id++)
        {
            if (cluster.Map.PartitionOf(id) == 0 && a == 0) a = id;
            else if (cluster.Map.PartitionOf(id) == 1 && b == 0) b = id;
        }
        cluster.Fund(a, b);
        var coordinator = cluster.StartCoordinator();
        var observer = new BurstObserver();
        const int Count = 200;
        var batch = new Transfer[Count];
        for (var i = 0; i < Count; i++)
            batch[i] = new Transfer { Id = (UInt128)(5_000 + i), DebitAccountId = a, CreditAccountId = b, Amount = 1, Ledger = 1, Code = 1 };
        Assert.True(coordinator.TrySubmit(batch, SagaMode.Saga, 1, observer));

        var deadline = Environment.TickCount64 + 30_000;
        while (observer.OpenWhenCompleted.Count < Count)
        {
            Assert.True(Environment.TickCount64 < deadline, $"only {observer.OpenWhenCompleted.Count} of {Count} completed");
            Thread.Sleep(5);
        }
        // The last round's flush comes at its burst's end, just after its last completion: give the driver that moment.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref observer.Flushes) > 0, TimeSpan.FromSeconds(10)), "no burst ended with a flush");
        foreach (var (correlation, open) in observer.OpenWhenCompleted) Assert.True(open, $"saga {correlation} completed outside a burst");
        Assert.Equal(0, observer.ImmediateFlushes);
        // One flush per driver round that completed something: never one per saga (200 sagas of one submission
        // finish in a handful of rounds).
        Assert.InRange(Volatile.Read(ref observer.Flushes), 1, Count / 4);
        Assert.False(ResultBurst.IsOpen); // the test thread never had one
    }
}
