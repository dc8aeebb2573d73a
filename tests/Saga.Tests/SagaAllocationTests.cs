using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Tests;

/// <summary>The machine's steady state allocates nothing (the coordinator runs it on its hot path).</summary>
public sealed class SagaAllocationTests
{
    /// <summary>Answers every step Ok into a preallocated outcome buffer (no allocation).</summary>
    private struct EchoSink(byte[] outcomes) : ISagaSink
    {
        public int Count;
        public int Completed;

        public void OnStepRequest(int partition, in Transfer step)
        {
            SagaCommands.TryParseStepId(step.Id, out var saga, out var s);
            SagaCommands.WriteOutcome(outcomes.AsSpan(Count * SagaCommands.OutcomeSizeBytes), saga, s, ResultCode.Ok);
            Count++;
        }

        public void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) => Completed++;
    }

    [Fact]
    public void Begin_outcomes_and_ticks_allocate_nothing_once_warm()
    {
        var map = PartitionMap.Uniform(2);
        var machine = new SagaStateMachine(new SagaOptions
        {
            Map = map, Catalog = new LedgerCatalog([new LedgerDefinition(1, "USD", 2)]), MaxActiveSagas = 256, RetainedCompletedSagas = 256, MaxBatchSize = 256,
        });
        UInt128 a = 1, b = 2;
        while (map.PartitionOf(b) == map.PartitionOf(a)) b++;
        var begins = new byte[64 * SagaCommands.BeginSizeBytes];
        var outcomes = new byte[512 * SagaCommands.OutcomeSizeBytes];
        var scratch = new byte[512 * SagaCommands.OutcomeSizeBytes];
        long index = 0, now = 1_700_000_000_000_000_000, nextId = 1;
        var completed = 0;

        void Round()
        {
            for (var i = 0; i < 64; i++)
            {
                var t = new Transfer { Id = (UInt128)nextId++, DebitAccountId = a, CreditAccountId = b, Amount = 5, Ledger = 1, Code = 1 };
                SagaCommands.WriteBegin(begins.AsSpan(i * SagaCommands.BeginSizeBytes), in t, nextId, (SagaMode)(1 + (i % 3)));
            }

            var sink = new EchoSink(outcomes);
            machine.Execute(new CommandStamp(++index, 1, ++now), SagaCommandKind.Begin, begins, ref sink);
            while (sink.Count > 0)
            {
                var n = sink.Count;
                outcomes.AsSpan(0, n * SagaCommands.OutcomeSizeBytes).CopyTo(scratch);
                completed += sink.Completed;
                sink = new EchoSink(outcomes);
                machine.Execute(new CommandStamp(++index, 1, ++now), SagaCommandKind.StepOutcome, scratch.AsSpan(0, n * SagaCommands.OutcomeSizeBytes), ref sink);
            }

            completed += sink.Completed;
            machine.Execute(new CommandStamp(++index, 1, ++now), SagaCommandKind.Tick, [], ref sink);
        }

        for (var i = 0; i < 20; i++) Round(); // warm: tables reach their steady size, the retained FIFO wraps
        // Up to 5 measured windows: a loaded runner can tier up (JIT) inside one, which is not the machine allocating;
        // an allocating code path would allocate in every window.
        long allocated = -1;
        var rounds = 20;
        for (var attempt = 0; attempt < 5 && allocated != 0; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 50; i++) Round();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            rounds += 50;
        }

        Assert.Equal(rounds * 64, completed);
        Assert.Equal(0, machine.ActiveCount);
        Assert.Equal(0, allocated);
    }
}
