using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

public sealed class ProcessorLifecycleTests
{
    [Fact]
    public void Halt_drains_everything_published_before_it_even_beyond_the_current_batch()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(128, new BlockingWaitStrategy());
        using ManualResetEventSlim inFirstEvent = new();
        using ManualResetEventSlim resume = new();
        RecordingHandler handler = new((sequence, _) =>
        {
            if (sequence == 0)
            {
                inFirstEvent.Set();
                Assert.True(resume.Wait(Limits.Join));
            }
        });
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), handler, maxBatchSize: 5);
        ring.AddGatingSequences(processor.Sequence);
        ProcessorThread thread = ProcessorThread.Start(processor, "halt-drain");

        Publishing.PublishValues(ring, 0, 1);
        Assert.True(inFirstEvent.Wait(Limits.Join));
        Publishing.PublishValues(ring, 1, 99); // 100 published; consumer is stuck inside a batch of 1
        processor.Halt();
        Assert.True(processor.IsRunning);
        resume.Set();

        Limits.Joined(thread);
        Assert.False(processor.IsRunning);
        Assert.Equal(100, handler.Values.Count);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(i, handler.Values[i]);
        }
        Assert.Equal(99, processor.Sequence.Value);
        Assert.All(handler.BatchSizes, size => Assert.InRange(size, 1, 5));
        Assert.True(handler.Started);
        Assert.True(handler.ShutDown);
    }

    [Fact]
    public void Halt_before_run_makes_run_drain_and_return()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new BlockingWaitStrategy());
        RecordingHandler handler = new();
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        Publishing.PublishValues(ring, 0, 10);
        processor.Halt();
        ProcessorThread thread = ProcessorThread.Start(processor, "pre-halted");
        Limits.Joined(thread);
        Assert.Equal(10, handler.Values.Count);
        Assert.Equal(9, processor.Sequence.Value);
    }

    [Fact]
    public void Processor_can_run_again_after_halt_and_resumes_after_its_sequence()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new SleepingWaitStrategy());
        RecordingHandler handler = new();
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        Publishing.PublishValues(ring, 0, 3);
        ProcessorThread first = ProcessorThread.Start(processor, "run-1");
        Limits.Eventually(() => processor.Sequence.Value == 2, "first run consumes 3");
        Assert.True(first.HaltAndJoin(Limits.Join));
        Publishing.PublishValues(ring, 3, 3);
        ProcessorThread second = ProcessorThread.Start(processor, "run-2");
        Limits.Eventually(() => processor.Sequence.Value == 5, "second run consumes 3 more");
        Assert.True(second.HaltAndJoin(Limits.Join));
        Assert.Equal([0L, 1, 2, 3, 4, 5], handler.Values);
    }

    [Fact]
    public void End_of_batch_marks_the_last_event_of_each_batch()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(64, new BlockingWaitStrategy());
        RecordingHandler handler = new();
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), handler, maxBatchSize: 8);
        ring.AddGatingSequences(processor.Sequence);
        Publishing.PublishValues(ring, 0, 20); // all published before start: batches are 8, 8, 4
        processor.Halt();
        Limits.Joined(ProcessorThread.Start(processor, "eob"));
        Assert.Equal([8L, 8, 4], handler.BatchSizes);
        Assert.Equal(3, handler.EndOfBatchCount);
    }

    [Fact]
    public void Struct_handler_is_mutated_in_place_not_copied()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(128, new BlockingWaitStrategy());
        var processor = new BatchEventProcessor<TestEvent, CountingStructHandler>(ring, ring.NewBarrier(), default);
        ring.AddGatingSequences(processor.Sequence);
        Publishing.PublishValues(ring, 1, 100);
        processor.Halt();
        Limits.Joined(ProcessorThread.Start(processor, "struct-handler"));
        Assert.Equal(100, processor.Handler.Count);
        Assert.Equal(5050, processor.Handler.Sum);
        Assert.True(processor.Handler.Batches >= 1);
        Assert.True(processor.Handler.ShutDown);
    }

    [Fact]
    public void Running_twice_concurrently_is_rejected()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BlockingWaitStrategy());
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), new RecordingHandler());
        ProcessorThread thread = ProcessorThread.Start(processor, "once");
        Limits.Eventually(() => processor.IsRunning, "processor starts");
        Assert.Throws<InvalidOperationException>(processor.Run);
        Assert.True(thread.HaltAndJoin(Limits.Join));
        Assert.Null(thread.Fault);
    }

    private struct CountingStructHandler : IEventHandler<TestEvent>
    {
        public long Count;
        public long Sum;
        public long Batches;
        public bool ShutDown;

        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            Count++;
            Sum += data.Value;
        }

        public void OnBatchStart(long batchSize) => Batches++;

        public void OnStart()
        {
        }

        public void OnShutdown() => ShutDown = true;

        public void OnTimeout(long sequence)
        {
        }
    }
}
