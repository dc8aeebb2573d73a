using System.Diagnostics;
using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

public sealed class WaitAndBarrierTests
{
    [Fact]
    public void Timeout_strategy_calls_OnTimeout_while_idle_and_keeps_processing()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new TimeoutBlockingWaitStrategy(TimeSpan.FromMilliseconds(10)));
        RecordingHandler handler = new();
        var processor = new BatchEventProcessor<TestEvent, RecordingHandler>(ring, ring.NewBarrier(), handler);
        ring.AddGatingSequences(processor.Sequence);
        ProcessorThread thread = ProcessorThread.Start(processor, "timeouts");

        Limits.Eventually(() => TimeoutCount(handler) >= 2, "two idle timeouts");
        Publishing.PublishValues(ring, 7, 1);
        Limits.Eventually(() => processor.Sequence.Value == 0, "event processed");
        Limits.Eventually(() => LastTimeout(handler) == 0, "timeout after the event reports sequence 0");
        Assert.True(thread.HaltAndJoin(Limits.Join));
        Assert.Null(thread.Fault);
        Assert.Equal([7L], handler.Values);
        lock (handler.Timeouts)
        {
            Assert.Equal(-1, handler.Timeouts[0]);
        }
    }

    private static int TimeoutCount(RecordingHandler h)
    {
        lock (h.Timeouts)
        {
            return h.Timeouts.Count;
        }
    }

    private static long LastTimeout(RecordingHandler h)
    {
        lock (h.Timeouts)
        {
            return h.Timeouts.Count == 0 ? long.MinValue : h.Timeouts[^1];
        }
    }

    [Fact]
    public void Timeout_strategy_throws_after_roughly_its_timeout()
    {
        TimeoutBlockingWaitStrategy strategy = new(TimeSpan.FromMilliseconds(30));
        SequenceBarrier barrier = SequenceBarrier.ForSequence(new Sequence(), strategy);
        long start = Stopwatch.GetTimestamp();
        Assert.Throws<WaitTimeoutException>(() => barrier.WaitFor(0));
        Assert.InRange(Stopwatch.GetElapsedTime(start), TimeSpan.FromMilliseconds(25), Limits.Join);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TimeoutBlockingWaitStrategy(TimeSpan.Zero));
    }

    public static TheoryData<string> Strategies => ["blocking", "timeout-blocking", "yielding", "sleeping", "phased", "phased-no-budget"];

    private static IWaitStrategy Make(string name) => name switch
    {
        "blocking" => new BlockingWaitStrategy(),
        "timeout-blocking" => new TimeoutBlockingWaitStrategy(TimeSpan.FromSeconds(10)),
        "yielding" => new YieldingWaitStrategy(),
        "phased" => new PhasedBackoffWaitStrategy(),
        "phased-no-budget" => new PhasedBackoffWaitStrategy(spinNs: 0, yieldNs: 0), // straight to its blocking fallback
        _ => new SleepingWaitStrategy(),
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Standalone_barrier_waits_for_an_external_commit_sequence(string strategyName)
    {
        IWaitStrategy strategy = Make(strategyName);
        Sequence commit = new();
        SequenceBarrier barrier = SequenceBarrier.ForSequence(commit, strategy);
        using Background<long> waiter = Background.Run(() => barrier.WaitFor(5));
        Assert.False(waiter.Finished(TimeSpan.FromMilliseconds(50)));

        commit.SetValue(3);
        strategy.SignalAllWhenBlocking();
        Assert.False(waiter.Finished(TimeSpan.FromMilliseconds(50)), "3 < 5: must keep waiting");

        commit.SetValue(8);
        strategy.SignalAllWhenBlocking(); // the contract for whoever advances the sequence
        Background.Completed(waiter);
        Assert.Equal(8, waiter.Result); // may return more than asked
        Assert.Equal(8, barrier.Cursor);
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Alert_wakes_a_blocked_waiter_with_AlertException(string strategyName)
    {
        IWaitStrategy strategy = Make(strategyName);
        SequenceBarrier barrier = SequenceBarrier.ForSequence(new Sequence(), strategy);
        using Background<long> waiter = Background.Run(() => barrier.WaitFor(0));
        Assert.False(waiter.Finished(TimeSpan.FromMilliseconds(50)));
        barrier.Alert();
        Assert.True(barrier.IsAlerted);
        Assert.True(waiter.Finished(Limits.Join), "alert did not wake the waiter");
        Assert.IsType<AlertException>(waiter.Exception);
        Assert.Throws<AlertException>(barrier.CheckAlert);
        barrier.ClearAlert();
        Assert.False(barrier.IsAlerted);
        barrier.CheckAlert();
    }

    [Fact]
    public void Phased_backoff_budgets_are_bounded()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhasedBackoffWaitStrategy(spinNs: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhasedBackoffWaitStrategy(yieldNs: PhasedBackoffWaitStrategy.MaxBudgetNs + 1));
        var s = new PhasedBackoffWaitStrategy(1_000, 2_000);
        Assert.Equal((1_000, 2_000), (s.SpinNs, s.YieldNs));
    }

    [Fact]
    public void Barrier_with_dependents_returns_the_slowest_dependent()
    {
        Sequence commit = new(100);
        Sequence d1 = new(40);
        Sequence d2 = new(60);
        SequenceBarrier barrier = SequenceBarrier.ForSequence(commit, new BlockingWaitStrategy(), d1, d2);
        Assert.Equal(40, barrier.WaitFor(10));
        Assert.Equal(40, barrier.GetAvailableNow(10));
        Assert.Equal(40, barrier.GetAvailableNow(41));
        using Background<long> waiter = Background.Run(() => barrier.WaitFor(50));
        Assert.False(waiter.Finished(TimeSpan.FromMilliseconds(50)));
        d1.SetValue(70);
        Background.Completed(waiter);
        Assert.Equal(60, waiter.Result);
    }

    [Fact]
    public void Ring_barrier_over_multi_producer_returns_only_published_sequences()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateMultiProducer(8, new BlockingWaitStrategy());
        SequenceBarrier barrier = ring.NewBarrier();
        long s0 = ring.Next();
        long s1 = ring.Next();
        ring.Publish(s1);
        using Background<long> waiter = Background.Run(() => barrier.WaitFor(0));
        Assert.False(waiter.Finished(TimeSpan.FromMilliseconds(50)), "slot 0 is claimed but unpublished");
        ring.Publish(s0);
        Background.Completed(waiter);
        Assert.Equal(1, waiter.Result);
    }
}
