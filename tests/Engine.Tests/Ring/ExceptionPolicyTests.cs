using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

public sealed class ExceptionPolicyTests
{
    private const long FailingSequence = 5;

    [Fact]
    public void Fatal_policy_stops_at_the_failing_sequence_and_surfaces_the_exception()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new BlockingWaitStrategy());
        InvalidOperationException boom = new("boom");
        RecordingHandler handler = new((sequence, _) =>
        {
            if (sequence == FailingSequence)
            {
                throw boom;
            }
        });
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        Publishing.PublishValues(ring, 0, 10); // one batch 0..9: the failure is mid-batch

        ProcessorThread thread = ProcessorThread.Start(processor, "fatal");
        Assert.True(thread.Join(Limits.Join), "fatal processor must stop by itself");
        FatalEventException fatal = Assert.IsType<FatalEventException>(thread.Fault);
        Assert.Equal(FailingSequence, fatal.Sequence);
        Assert.Same(boom, fatal.InnerException);
        Assert.Equal(FailingSequence - 1, processor.Sequence.Value); // not advanced past the failure
        Assert.Equal([0L, 1, 2, 3, 4], handler.Sequences);
        Assert.False(processor.IsRunning);
        Assert.True(handler.ShutDown);
        // The producer stays gated at the failure: sequences 5..9 remain unconsumed.
        Assert.Equal(16 - (9 - (FailingSequence - 1)), ring.RemainingCapacity());
    }

    [Fact]
    public void Ignore_policy_skips_the_failing_event_and_continues()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(16, new BlockingWaitStrategy());
        List<long> logged = [];
        IgnoreExceptionHandler<TestEvent> policy = new((_, sequence) => logged.Add(sequence));
        RecordingHandler handler = new((sequence, _) =>
        {
            if (sequence == FailingSequence)
            {
                throw new InvalidOperationException("skip me");
            }
        });
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), handler, policy);
        ring.AddGatingSequences(processor.Sequence);
        Publishing.PublishValues(ring, 0, 10);

        ProcessorThread thread = ProcessorThread.Start(processor, "ignore");
        Limits.Eventually(() => processor.Sequence.Value == 9, "processor passes the failure");
        Assert.True(thread.HaltAndJoin(Limits.Join));
        Assert.Null(thread.Fault);
        Assert.Equal([0L, 1, 2, 3, 4, 6, 7, 8, 9], handler.Sequences);
        Assert.Equal([FailingSequence], logged);
        Assert.Equal(1, policy.IgnoredCount);
    }
}
