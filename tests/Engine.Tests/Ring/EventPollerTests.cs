using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

public sealed class EventPollerTests
{
    [Fact]
    public void Poller_reports_idle_processing_and_gating()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BlockingWaitStrategy());
        Sequence upstream = new();
        EventPoller<TestEvent> poller = ring.NewPoller(upstream);
        ring.AddGatingSequences(poller.Sequence);
        Collector collector = new(stopAfter: int.MaxValue);

        Assert.Equal(PollState.Idle, poller.Poll(ref collector));

        Publishing.PublishValues(ring, 10, 3);
        Assert.Equal(PollState.Gating, poller.Poll(ref collector)); // published but upstream has not passed it
        Assert.Empty(collector.Values);

        upstream.SetValue(1);
        Assert.Equal(PollState.Processing, poller.Poll(ref collector));
        Assert.Equal([10L, 11], collector.Values);
        Assert.Equal([false, true], collector.EndOfBatch);
        Assert.Equal(1, poller.Sequence.Value);

        upstream.SetValue(2);
        Assert.Equal(PollState.Processing, poller.Poll(ref collector));
        Assert.Equal(PollState.Idle, poller.Poll(ref collector));
        Assert.Equal([10L, 11, 12], collector.Values);
    }

    [Fact]
    public void Handler_returning_false_stops_the_poll_after_that_event()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(8, new BlockingWaitStrategy());
        EventPoller<TestEvent> poller = ring.NewPoller();
        ring.AddGatingSequences(poller.Sequence);
        Publishing.PublishValues(ring, 0, 5);

        Collector collector = new(stopAfter: 2);
        Assert.Equal(PollState.Processing, poller.Poll(ref collector));
        Assert.Equal([0L, 1], collector.Values);
        Assert.Equal(1, poller.Sequence.Value);

        IPollHandler<TestEvent> boxed = new Collector(stopAfter: int.MaxValue);
        Assert.Equal(PollState.Processing, poller.Poll(boxed));
        Assert.Equal(4, poller.Sequence.Value);
    }

    [Fact]
    public void Multi_producer_claimed_but_unpublished_slot_is_gating()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateMultiProducer(8, new BlockingWaitStrategy());
        EventPoller<TestEvent> poller = ring.NewPoller();
        ring.AddGatingSequences(poller.Sequence);
        long claimed = ring.Next();
        Collector collector = new(stopAfter: int.MaxValue);
        Assert.Equal(PollState.Gating, poller.Poll(ref collector));
        ring[claimed].Value = 42;
        ring.Publish(claimed);
        Assert.Equal(PollState.Processing, poller.Poll(ref collector));
        Assert.Equal([42L], collector.Values);
    }

    private struct Collector : IPollHandler<TestEvent>
    {
        private readonly int _stopAfter;

        public Collector(int stopAfter)
        {
            _stopAfter = stopAfter;
        }

        public List<long> Values { get; } = [];
        public List<bool> EndOfBatch { get; } = [];

        public bool OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            Values.Add(data.Value);
            EndOfBatch.Add(endOfBatch);
            return Values.Count < _stopAfter;
        }
    }
}
