using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

/// <summary>
/// Consumer graphs: each stage writes its own field, and a downstream stage checks that the upstream write is already
/// visible (the barrier's happens-before), so the sums are exact only if ordering holds for every event.
/// </summary>
public sealed class DependencyGraphTests
{
    private const int Events = 100_000;
    private const int RingSize = 256;

    [Fact]
    public void Pipeline_A_then_B_then_C_sees_every_upstream_write()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(RingSize, new BlockingWaitStrategy());
        long errors = 0;
        long sum = 0;
        StageHandler a = new((ref TestEvent e, long _) => e.A = e.Value * 2);
        StageHandler b = new((ref TestEvent e, long _) =>
        {
            if (e.A != e.Value * 2) errors++;
            e.B = e.A + 1;
        });
        StageHandler c = new((ref TestEvent e, long _) =>
        {
            if (e.B != (e.Value * 2) + 1) errors++;
            sum += e.B;
        });
        var pa = new BatchEventProcessor<TestEvent, StageHandler>(ring, ring.NewBarrier(), a);
        var pb = new BatchEventProcessor<TestEvent, StageHandler>(ring, ring.NewBarrier(pa.Sequence), b);
        var pc = new BatchEventProcessor<TestEvent, StageHandler>(ring, ring.NewBarrier(pb.Sequence), c);
        ring.AddGatingSequences(pc.Sequence); // only the terminal consumer gates the producer

        ProcessorThread[] threads = Start(pa, pb, pc);
        Produce(ring);
        StopInOrder(threads);

        Assert.Equal(0, errors);
        long expected = 0;
        for (long v = 0; v < Events; v++)
        {
            expected += (v * 2) + 1;
        }
        Assert.Equal(expected, sum);
        Assert.Equal(Events, a.Count);
        Assert.Equal(Events, c.Count);
    }

    [Fact]
    public void Diamond_A_then_B_and_C_then_D_joins_both_branches()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(RingSize, new YieldingWaitStrategy());
        long errors = 0;
        long sum = 0;
        StageHandler a = new((ref TestEvent e, long _) => e.A = e.Value + 1);
        StageHandler b = new((ref TestEvent e, long _) => e.B = e.A * 10);
        StageHandler c = new((ref TestEvent e, long _) => e.C = e.A * 100);
        StageHandler d = new((ref TestEvent e, long _) =>
        {
            if (e.B != (e.Value + 1) * 10 || e.C != (e.Value + 1) * 100) errors++;
            sum += e.B + e.C;
        });
        var pa = new BatchEventProcessor<TestEvent, StageHandler>(ring, ring.NewBarrier(), a);
        var pb = new BatchEventProcessor<TestEvent, StageHandler>(ring, ring.NewBarrier(pa.Sequence), b);
        var pc = new BatchEventProcessor<TestEvent, StageHandler>(ring, ring.NewBarrier(pa.Sequence), c);
        var pd = new BatchEventProcessor<TestEvent, StageHandler>(ring, ring.NewBarrier(pb.Sequence, pc.Sequence), d);
        ring.AddGatingSequences(pd.Sequence);

        ProcessorThread[] threads = Start(pa, pb, pc, pd);
        Produce(ring);
        StopInOrder(threads);

        Assert.Equal(0, errors);
        long expected = 0;
        for (long v = 0; v < Events; v++)
        {
            expected += (v + 1) * 110;
        }
        Assert.Equal(expected, sum);
    }

    [Fact]
    public void Multicast_consumers_each_see_every_event_and_all_gate_the_producer()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateMultiProducer(RingSize, new BlockingWaitStrategy());
        long[] sums = new long[3];
        var processors = new BatchEventProcessor<TestEvent, StageHandler>[3];
        for (int i = 0; i < processors.Length; i++)
        {
            int k = i;
            processors[i] = new(ring, ring.NewBarrier(), new StageHandler((ref TestEvent e, long _) => sums[k] += e.Value * (k + 1)));
            ring.AddGatingSequences(processors[i].Sequence);
        }

        ProcessorThread[] threads = Start(processors);
        Produce(ring);
        StopInOrder(threads);

        long baseSum = (long)Events * (Events - 1) / 2;
        Assert.Equal(baseSum, sums[0]);
        Assert.Equal(baseSum * 2, sums[1]);
        Assert.Equal(baseSum * 3, sums[2]);
    }

    private static ProcessorThread[] Start(params IEventProcessor[] processors)
    {
        var threads = new ProcessorThread[processors.Length];
        for (int i = 0; i < processors.Length; i++)
        {
            threads[i] = ProcessorThread.Start(processors[i], $"stage-{i}");
        }
        return threads;
    }

    private static void Produce(RingBuffer<TestEvent> ring)
    {
        for (long v = 0; v < Events; v += 10)
        {
            long hi = ring.Next(10);
            for (long s = hi - 9; s <= hi; s++)
            {
                ring[s].Value = s;
            }
            ring.Publish(hi - 9, hi);
        }
    }

    /// <summary>Halts in dependency order; each halt drains what upstream finished, so nothing is lost.</summary>
    private static void StopInOrder(ProcessorThread[] threads)
    {
        foreach (ProcessorThread t in threads)
        {
            Assert.True(t.HaltAndJoin(Limits.Join), "stage did not stop");
            Assert.Null(t.Fault);
        }
    }
}
