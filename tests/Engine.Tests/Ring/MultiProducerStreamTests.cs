using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

/// <summary>
/// Three producers with different claim styles stream into a small ring; the consumer proves every event arrives
/// exactly once and in each producer's order. Values encode (producer id, per-producer counter).
/// </summary>
public sealed class MultiProducerStreamTests
{
    private const int ProducerCount = 3;
    private const int EventsPerProducer = 200_000;
    private const int RingSize = 1024;

    [Theory]
    [InlineData("yielding")]
    [InlineData("blocking")]
    public void No_lost_duplicated_or_reordered_events(string wait)
    {
        IWaitStrategy strategy = wait == "yielding" ? new YieldingWaitStrategy() : new BlockingWaitStrategy();
        RingBuffer<TestEvent> ring = RingBuffer<TestEvent>.CreateMultiProducer(RingSize, strategy);
        OrderCheckingHandler checker = new(ProducerCount);
        BatchEventProcessor<TestEvent, OrderCheckingHandler> processor = new(ring, ring.NewBarrier(), checker);
        ring.AddGatingSequences(processor.Sequence);
        ProcessorThread consumer = ProcessorThread.Start(processor, "mp-consumer");

        using Barrier startLine = new(ProducerCount);
        var producers = new Background<bool>[ProducerCount];
        for (int p = 0; p < ProducerCount; p++)
        {
            int producer = p;
            producers[p] = Background.Run(() => Produce(ring, producer, startLine));
        }
        foreach (Background<bool> t in producers)
        {
            Background.Completed(t);
            t.Dispose();
        }

        long last = (long)ProducerCount * EventsPerProducer - 1;
        Assert.Equal(last, ring.Cursor);
        Limits.Eventually(() => processor.Sequence.Value == last, "consumer reaches the last sequence");
        Assert.True(consumer.HaltAndJoin(Limits.Join));
        Assert.Null(consumer.Fault);

        Assert.Null(checker.Violation);
        for (int p = 0; p < ProducerCount; p++)
        {
            Assert.Equal(EventsPerProducer, checker.NextExpected[p]);
        }
        Assert.Equal(ProducerCount * (long)EventsPerProducer, checker.Total);
    }

    private static void Produce(RingBuffer<TestEvent> ring, int producer, Barrier startLine)
    {
        Assert.True(startLine.SignalAndWait(Limits.Join));
        long counter = 0;
        SpinWait backoff = default;
        while (counter < EventsPerProducer)
        {
            switch (producer)
            {
                case 0: // one slot per claim
                {
                    long s = ring.Next();
                    ring[s].Value = Encode(producer, counter++);
                    ring.Publish(s);
                    break;
                }
                case 1: // batch claims of up to 7
                {
                    int n = (int)Math.Min(7, EventsPerProducer - counter);
                    long hi = ring.Next(n);
                    long lo = hi - n + 1;
                    for (long s = lo; s <= hi; s++)
                    {
                        ring[s].Value = Encode(producer, counter++);
                    }
                    ring.Publish(lo, hi);
                    break;
                }
                default: // non-blocking claims with backoff when full
                {
                    if (ring.TryNext(out long s))
                    {
                        ring[s].Value = Encode(producer, counter++);
                        ring.Publish(s);
                        backoff.Reset();
                    }
                    else
                    {
                        backoff.SpinOnce();
                    }
                    break;
                }
            }
        }
    }

    private static long Encode(int producer, long counter) => ((long)producer << 40) | counter;

    private sealed class OrderCheckingHandler : IEventHandler<TestEvent>
    {
        public OrderCheckingHandler(int producers)
        {
            NextExpected = new long[producers];
        }

        public long[] NextExpected { get; }
        public long Total { get; private set; }
        public string? Violation { get; private set; }
        private long _expectedSequence;

        public void OnEvent(ref TestEvent data, long sequence, bool endOfBatch)
        {
            int producer = (int)(data.Value >> 40);
            long counter = data.Value & ((1L << 40) - 1);
            if (sequence != _expectedSequence)
            {
                Violation ??= $"sequence {sequence} delivered, expected {_expectedSequence}";
            }
            _expectedSequence = sequence + 1;
            if (producer < 0 || producer >= NextExpected.Length)
            {
                Violation ??= $"bad producer id {producer} at {sequence}";
                return;
            }
            if (counter != NextExpected[producer])
            {
                Violation ??= $"producer {producer}: got {counter}, expected {NextExpected[producer]} at sequence {sequence}";
            }
            NextExpected[producer] = counter + 1;
            Total++;
        }

        public void OnBatchStart(long batchSize)
        {
        }

        public void OnStart()
        {
        }

        public void OnShutdown()
        {
        }

        public void OnTimeout(long sequence)
        {
        }
    }
}
