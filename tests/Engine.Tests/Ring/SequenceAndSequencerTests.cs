using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

public sealed class SequenceAndSequencerTests
{
    [Fact]
    public void Sequence_starts_at_initial_value_and_supports_atomic_updates()
    {
        Sequence s = new();
        Assert.Equal(-1, Sequence.InitialValue);
        Assert.Equal(Sequence.InitialValue, s.Value);
        Assert.Equal(0, s.IncrementAndGet());
        Assert.Equal(10, s.AddAndGet(10));
        Assert.False(s.CompareAndSet(9, 20));
        Assert.Equal(10, s.Value);
        Assert.True(s.CompareAndSet(10, 20));
        s.SetValue(30);
        Assert.Equal(30, s.Value);
        s.SetValueVolatile(40);
        Assert.Equal(40, s.Value);
    }

    [Fact]
    public void Sequence_objects_are_padded_so_two_never_share_a_cache_line()
    {
        const int count = 64;
        Sequence[] keep = new Sequence[count];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++)
        {
            keep[i] = new Sequence();
        }
        long bytesPerSequence = (GC.GetAllocatedBytesForCurrentThread() - before) / count;
        GC.KeepAlive(keep);
        // 56+ bytes either side of the 8-byte value, plus the object header.
        Assert.InRange(bytesPerSequence, 128, 256);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(3)]
    [InlineData(1000)]
    [InlineData(int.MinValue)]
    [InlineData((1 << 30) + 1)]
    public void Non_power_of_two_sizes_are_rejected(int size)
    {
        ArgumentException e1 = Assert.Throws<ArgumentException>(() => RingBuffer<TestEvent>.CreateSingleProducer(size, new BlockingWaitStrategy()));
        Assert.Contains("power of two", e1.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => RingBuffer<TestEvent>.CreateMultiProducer(size, new BlockingWaitStrategy()));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1024)]
    public void Power_of_two_sizes_are_accepted(int size)
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(size, new BlockingWaitStrategy());
        Assert.Equal(size, ring.BufferSize);
        Assert.Equal(size, ring.RemainingCapacity());
    }

    [Fact]
    public void Slot_initialiser_runs_once_per_slot_and_slots_keep_their_buffers_across_laps()
    {
        int calls = 0;
        RingBuffer<Slot> ring = RingBuffer<Slot>.CreateSingleProducer(4, new BlockingWaitStrategy(), i =>
        {
            calls++;
            return new Slot { Buffer = new byte[16], Index = i };
        });
        Assert.Equal(4, calls);
        byte[][] original = [ring[0].Buffer!, ring[1].Buffer!, ring[2].Buffer!, ring[3].Buffer!];
        for (long s = 0; s < 4 * 50; s++)
        {
            Assert.Same(original[s & 3], ring[s].Buffer);
            Assert.Equal(s & 3, ring[s].Index);
        }
        Assert.Equal(4, calls);
    }

    private struct Slot
    {
        public byte[]? Buffer;
        public long Index;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryNext_reports_full_and_succeeds_again_after_consumption(bool multiProducer)
    {
        RingBuffer<TestEvent> ring = multiProducer
            ? RingBuffer<TestEvent>.CreateMultiProducer(4, new BlockingWaitStrategy())
            : RingBuffer<TestEvent>.CreateSingleProducer(4, new BlockingWaitStrategy());
        Sequence consumer = new();
        ring.AddGatingSequences(consumer);

        Assert.True(ring.TryNext(3, out long hi));
        Assert.Equal(2, hi);
        ring.Publish(0, 2);
        Assert.Equal(1, ring.RemainingCapacity());
        Assert.False(ring.TryNext(2, out _));
        Assert.True(ring.TryNext(out long s3));
        Assert.Equal(3, s3);
        ring.Publish(s3);
        Assert.Equal(0, ring.RemainingCapacity());
        Assert.False(ring.TryNext(out long none));
        Assert.Equal(Sequence.InitialValue, none);

        consumer.SetValue(1); // consumed 0 and 1
        Assert.Equal(2, ring.RemainingCapacity());
        Assert.True(ring.TryNext(2, out long hi2));
        Assert.Equal(5, hi2);
        Assert.False(ring.TryNext(out _));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Claim_sizes_outside_the_ring_are_rejected(bool multiProducer)
    {
        RingBuffer<TestEvent> ring = multiProducer
            ? RingBuffer<TestEvent>.CreateMultiProducer(8, new BlockingWaitStrategy())
            : RingBuffer<TestEvent>.CreateSingleProducer(8, new BlockingWaitStrategy());
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Next(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.Next(9));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.TryNext(-1, out _));
    }

    [Fact]
    public void Multi_producer_reports_only_the_contiguous_published_prefix()
    {
        MultiProducerSequencer sequencer = new(8, new BlockingWaitStrategy());
        long a = sequencer.Next();
        long b = sequencer.Next();
        long c = sequencer.Next();
        Assert.Equal(2, sequencer.Cursor); // claimed, not published
        sequencer.Publish(a);
        sequencer.Publish(c);
        Assert.True(sequencer.IsAvailable(a));
        Assert.False(sequencer.IsAvailable(b));
        Assert.True(sequencer.IsAvailable(c));
        Assert.Equal(0, sequencer.GetHighestPublishedSequence(0, 2));
        Assert.Equal(0, sequencer.GetHighestPublishedSequence(1, 2));
        sequencer.Publish(b);
        Assert.Equal(2, sequencer.GetHighestPublishedSequence(0, 2));
    }

    [Fact]
    public void Multi_producer_availability_flags_distinguish_laps()
    {
        MultiProducerSequencer sequencer = new(4, new BlockingWaitStrategy());
        Sequence consumer = new();
        sequencer.AddGatingSequences(consumer);
        for (long s = 0; s < 4; s++)
        {
            sequencer.Publish(sequencer.Next());
        }
        consumer.SetValue(3);
        long lap1 = sequencer.Next(); // sequence 4 reuses slot 0
        Assert.Equal(4, lap1);
        Assert.False(sequencer.IsAvailable(4)); // slot 0 holds lap 0's flag
        Assert.True(sequencer.IsAvailable(0));
        sequencer.Publish(lap1);
        Assert.True(sequencer.IsAvailable(4));
        Assert.False(sequencer.IsAvailable(0)); // overwritten
    }

    [Fact]
    public void Single_producer_availability_is_the_window_behind_the_cursor()
    {
        SingleProducerSequencer sequencer = new(4, new BlockingWaitStrategy());
        Assert.False(sequencer.IsAvailable(0));
        for (int i = 0; i < 6; i++)
        {
            sequencer.Publish(sequencer.Next());
        }
        Assert.Equal(5, sequencer.Cursor);
        Assert.False(sequencer.IsAvailable(1));
        Assert.True(sequencer.IsAvailable(2));
        Assert.True(sequencer.IsAvailable(5));
        Assert.False(sequencer.IsAvailable(6));
    }

    [Fact]
    public void Removing_a_gating_sequence_releases_the_producer()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(2, new BlockingWaitStrategy());
        Sequence stuck = new();
        ring.AddGatingSequences(stuck);
        Assert.True(ring.TryNext(2, out _));
        Assert.False(ring.TryNext(out _));
        Assert.True(ring.RemoveGatingSequence(stuck));
        Assert.False(ring.RemoveGatingSequence(stuck));
        Assert.True(ring.TryNext(out long s));
        Assert.Equal(2, s);
    }

    [Fact]
    public void A_gating_sequence_added_late_starts_at_the_cursor()
    {
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateSingleProducer(4, new BlockingWaitStrategy());
        Publishing.PublishValues(ring, 0, 6);
        Sequence late = new();
        ring.AddGatingSequences(late);
        Assert.Equal(5, late.Value);
        Assert.Equal(4, ring.RemainingCapacity());
    }
}
