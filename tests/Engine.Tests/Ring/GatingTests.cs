using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

public sealed class GatingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_paused_consumer_stalls_the_producer_and_no_slot_is_overwritten(bool multiProducer)
    {
        const int size = 8;
        RingBuffer<TestEvent> ring = multiProducer
            ? RingBuffer<TestEvent>.CreateMultiProducer(size, new BlockingWaitStrategy())
            : RingBuffer<TestEvent>.CreateSingleProducer(size, new BlockingWaitStrategy());
        using ManualResetEventSlim consumerEntered = new();
        using ManualResetEventSlim resume = new();
        RecordingHandler handler = new((sequence, _) =>
        {
            if (sequence == 0)
            {
                consumerEntered.Set();
                Assert.True(resume.Wait(Limits.Join), "test never resumed the consumer");
            }
        });
        BatchEventProcessor<TestEvent, RecordingHandler> processor = new(ring, ring.NewBarrier(), handler, maxBatchSize: 1);
        ring.AddGatingSequences(processor.Sequence);
        ProcessorThread consumer = ProcessorThread.Start(processor, "paused-consumer");

        Publishing.PublishValues(ring, 100, size); // fills the ring: values 100..107 in sequences 0..7
        Assert.True(consumerEntered.Wait(Limits.Join));

        // The consumer holds sequence 0, so the ring is full: a non-blocking claim fails, a blocking claim stalls.
        Assert.False(ring.TryNext(out _));
        using Background<long> stalled = Background.Run(ring.Next);
        Assert.False(stalled.Finished(Limits.ShortProbe), "producer claimed a slot the consumer has not released");
        for (long s = 0; s < size; s++)
        {
            Assert.Equal(100 + s, ring[s].Value);
        }

        resume.Set();
        Background.Completed(stalled);
        long next = stalled.Result;
        Assert.Equal(size, next);
        ring[next].Value = 100 + next;
        ring.Publish(next);

        Limits.Eventually(() => processor.Sequence.Value == size, "consumer drains the stalled event");
        Assert.True(consumer.HaltAndJoin(Limits.Join));
        Assert.Null(consumer.Fault);
        long[] expected = new long[size + 1];
        for (int i = 0; i <= size; i++)
        {
            expected[i] = 100 + i;
        }
        Assert.Equal(expected, handler.Values);
    }

    [Fact]
    public void Slots_are_reused_across_many_laps_with_correct_values()
    {
        const int size = 16;
        const int laps = 4_000;
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(size, new YieldingWaitStrategy());
        long expectedNext = 0;
        string? violation = null;
        StageHandler checker = new((ref TestEvent e, long sequence) =>
        {
            // The producer writes value = sequence * 3; a stale or overwritten slot would break this.
            if (e.Value != sequence * 3 || sequence != expectedNext)
            {
                violation ??= $"seq {sequence}: value {e.Value}, expected {sequence * 3}";
            }
            expectedNext = sequence + 1;
        });
        BatchEventProcessor<TestEvent, StageHandler> processor = new(ring, ring.NewBarrier(), checker);
        ring.AddGatingSequences(processor.Sequence);
        ProcessorThread consumer = ProcessorThread.Start(processor, "laps");

        long total = (long)size * laps;
        for (long i = 0; i < total; i += 4)
        {
            long hi = ring.Next(4);
            for (long s = hi - 3; s <= hi; s++)
            {
                ring[s].Value = s * 3;
            }
            ring.Publish(hi - 3, hi);
        }

        Limits.Eventually(() => processor.Sequence.Value == total - 1, "consumer finishes all laps");
        Assert.True(consumer.HaltAndJoin(Limits.Join));
        Assert.Null(violation);
        Assert.Equal(total, checker.Count);
    }
}
