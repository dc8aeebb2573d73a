using BenchmarkDotNet.Attributes;
using Wallet.Engine.Ring;

namespace Wallet.Benchmarks;

/// <summary>
/// Producer-side cost of claim + publish on one thread, with no consumer holding the ring back (no gating sequences),
/// so the figures isolate the sequencer: plain fields for single producer, atomics + availability flags for multi.
/// [MemoryDiagnoser] must show 0 B allocated for every case.
/// </summary>
[MemoryDiagnoser]
public class RingClaimBenchmarks
{
    private const int RingSize = 1024;
    private const int Batch = 64;

    private RingBuffer<Slot> _single = null!;
    private RingBuffer<Slot> _singleBlocking = null!;
    private RingBuffer<Slot> _multi = null!;

    [GlobalSetup]
    public void Setup()
    {
        _single = RingBuffer<Slot>.CreateSingleProducer(RingSize, new BusySpinWaitStrategy());
        _singleBlocking = RingBuffer<Slot>.CreateSingleProducer(RingSize, new BlockingWaitStrategy());
        _multi = RingBuffer<Slot>.CreateMultiProducer(RingSize, new BusySpinWaitStrategy());
    }

    [Benchmark(Baseline = true, Description = "SP Next+Publish")]
    public long SingleProducerNextPublish()
    {
        long s = _single.Next();
        _single[s].Value = s;
        _single.Publish(s);
        return s;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "SP Next(64)+Publish(lo,hi), per event")]
    public long SingleProducerBatch()
    {
        long hi = _single.Next(Batch);
        long lo = hi - Batch + 1;
        for (long s = lo; s <= hi; s++)
        {
            _single[s].Value = s;
        }
        _single.Publish(lo, hi);
        return hi;
    }

    [Benchmark(Description = "SP TryNext+Publish")]
    public long SingleProducerTryNext()
    {
        if (_single.TryNext(out long s))
        {
            _single[s].Value = s;
            _single.Publish(s);
        }
        return s;
    }

    [Benchmark(Description = "SP Next+Publish, blocking strategy (signal cost)")]
    public long SingleProducerNextPublishBlocking()
    {
        long s = _singleBlocking.Next();
        _singleBlocking[s].Value = s;
        _singleBlocking.Publish(s);
        return s;
    }

    [Benchmark(Description = "MP Next+Publish (uncontended)")]
    public long MultiProducerNextPublish()
    {
        long s = _multi.Next();
        _multi[s].Value = s;
        _multi.Publish(s);
        return s;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "MP Next(64)+Publish(lo,hi), per event")]
    public long MultiProducerBatch()
    {
        long hi = _multi.Next(Batch);
        long lo = hi - Batch + 1;
        for (long s = lo; s <= hi; s++)
        {
            _multi[s].Value = s;
        }
        _multi.Publish(lo, hi);
        return hi;
    }

    [Benchmark(Description = "MP TryNext+Publish (uncontended)")]
    public long MultiProducerTryNext()
    {
        if (_multi.TryNext(out long s))
        {
            _multi[s].Value = s;
            _multi.Publish(s);
        }
        return s;
    }

    public struct Slot
    {
        public long Value;
    }
}
