using System.Diagnostics;
using System.Numerics;
using Wallet.Engine.Ring;
using Wallet.Perf.Harness;
using Wallet.Perf.Scenarios.Ring;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// Ring buffer throughput and latency. Per topology two phases, each warm-up + measured duration:
/// (1) max rate: producers claim <see cref="PerfOptions.Batch"/> slots per claim; reports events/s over the measured
/// window, the consumers' mean batch size, and bytes allocated per event (process-wide, so 0 means truly 0);
/// (2) fixed rate: producers send at <see cref="PerfOptions.Rate"/> events/s total, stamping the intended send time;
/// every consumer records end-to-end latency from that time and its hop latency.
/// </summary>
internal sealed class RingScenario : IScenario
{
    private const int DefaultRingSize = 65_536;
    private static readonly long JoinLimitTicks = Pacing.SecondsToTicks(30);

    public string Name => "ring";

    public string Description => "ring buffer: 1P1C, 3P1C, 1P3C pipeline; max-rate throughput + fixed-rate per-hop latency";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--topology", "all|1p1c|3p1c|1p3c", "all"),
        new("--ring-size", "slots, power of two in [64, 16777216]", DefaultRingSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        IReadOnlyList<RingTopology> topologies = RingTopology.Parse(options.Extra("--topology", "all"));
        int ringSize = (int)options.ExtraLong("--ring-size", DefaultRingSize, 64, 1 << 24);
        if (!BitOperations.IsPow2(ringSize))
        {
            throw new PerfOptionsException($"--ring-size must be a power of two; got {ringSize}");
        }
        if (options.Batch > ringSize)
        {
            throw new PerfOptionsException($"--batch ({options.Batch}) must not exceed --ring-size ({ringSize})");
        }

        ScenarioResult result = new(Name);
        result.Note($"machine: {Environment.ProcessorCount} logical cores; ring size {ringSize}; claim batch {options.Batch}; " +
                    $"fixed rate {(options.Rate == 0 ? "max" : options.Rate.ToString(System.Globalization.CultureInfo.InvariantCulture) + " events/s")}");
        result.Note("latency unit ns; e2e = from intended send time (coordinated-omission corrected), hop = from previous stage's stamp");
        foreach (RingTopology topology in topologies)
        {
            WaitKind wait = options.Wait ?? topology.DefaultWait;
            if (options.Wait is null && wait != WaitKind.BusySpin)
            {
                result.Note($"{topology.Name}: {topology.Threads} busy threads > {Environment.ProcessorCount} cores, so default wait is {WaitKinds.Name(wait)} (busy-spin would oversubscribe)");
            }
            else if (wait == WaitKind.BusySpin && topology.Threads > Environment.ProcessorCount)
            {
                result.Note($"{topology.Name}: busy-spin with {topology.Threads} threads on {Environment.ProcessorCount} cores oversubscribes; figures are not representative");
            }
            log.WriteLine($"[ring] {topology.Name} wait={WaitKinds.Name(wait)}: max-rate phase ({options.WarmupS}s warm-up + {options.DurationS}s)");
            MaxRate(topology, wait, ringSize, options, result);
            log.WriteLine($"[ring] {topology.Name} wait={WaitKinds.Name(wait)}: fixed-rate phase ({options.WarmupS}s warm-up + {options.DurationS}s)");
            FixedRate(topology, wait, ringSize, options, result);
        }
        return result;
    }

    private static RingBuffer<RingEvent> NewRing(RingTopology topology, WaitKind wait, int ringSize) =>
        topology.Producers == 1
            ? RingBuffer<RingEvent>.CreateSingleProducer(ringSize, WaitKinds.Create(wait))
            : RingBuffer<RingEvent>.CreateMultiProducer(ringSize, WaitKinds.Create(wait));

    /// <summary>Builds the consumer pipeline (each stage waits on the previous), gates the producer on the last stage.</summary>
    private static BatchEventProcessor<RingEvent, THandler>[] NewPipeline<THandler>(
        RingBuffer<RingEvent> ring, int length, Func<int, THandler> handler)
        where THandler : IEventHandler<RingEvent>
    {
        var stages = new BatchEventProcessor<RingEvent, THandler>[length];
        Sequence[] upstream = [];
        for (int k = 0; k < length; k++)
        {
            stages[k] = new BatchEventProcessor<RingEvent, THandler>(ring, ring.NewBarrier(upstream), handler(k));
            upstream = [stages[k].Sequence];
        }
        ring.AddGatingSequences(stages[^1].Sequence);
        return stages;
    }

    private static ProcessorThread[] StartAll(IEventProcessor[] processors, string prefix)
    {
        var threads = new ProcessorThread[processors.Length];
        for (int k = 0; k < processors.Length; k++)
        {
            threads[k] = ProcessorThread.Start(processors[k], $"{prefix}-c{k + 1}");
        }
        return threads;
    }

    private static Thread[] StartProducers(int count, string prefix, Action<int> body)
    {
        var threads = new Thread[count];
        for (int p = 0; p < count; p++)
        {
            int producer = p;
            threads[p] = new Thread(() => body(producer)) { IsBackground = true, Name = $"{prefix}-p{p + 1}" };
            threads[p].Start();
        }
        return threads;
    }

    private static void JoinProducers(Thread[] producers)
    {
        foreach (Thread t in producers)
        {
            if (!t.Join(TimeSpan.FromSeconds(30)))
            {
                throw new InvalidOperationException($"producer {t.Name} did not stop within 30 s");
            }
        }
    }

    /// <summary>Halts stages in pipeline order (each drains what upstream finished) and surfaces any fault.</summary>
    private static void StopAll(ProcessorThread[] consumers)
    {
        foreach (ProcessorThread c in consumers)
        {
            if (!c.HaltAndJoin(TimeSpan.FromSeconds(30)))
            {
                throw new InvalidOperationException("consumer did not stop within 30 s");
            }
            if (c.Fault is not null)
            {
                throw new InvalidOperationException("consumer failed", c.Fault);
            }
        }
    }

    private static void MaxRate(RingTopology topology, WaitKind wait, int ringSize, PerfOptions options, ScenarioResult result)
    {
        RingBuffer<RingEvent> ring = NewRing(topology, wait, ringSize);
        long startTicks = Stopwatch.GetTimestamp();
        long measureFromTicks = startTicks + Pacing.SecondsToTicks(options.WarmupS);
        long endTicks = measureFromTicks + Pacing.SecondsToTicks(options.DurationS);
        BatchEventProcessor<RingEvent, ThroughputHandler>[] stages = NewPipeline(ring, topology.PipelineLength, _ => new ThroughputHandler(measureFromTicks));
        ProcessorThread[] consumers = StartAll(stages, topology.Name);
        Sequence terminal = stages[^1].Sequence;

        int batch = options.Batch;
        long[] producerAllocatedBytes = new long[topology.Producers];
        // Read the clock about every 256 events, not per event: the clock costs as much as a claim.
        int claimsPerClockRead = Math.Max(1, 256 / batch);
        Thread[] producers = StartProducers(topology.Producers, topology.Name, p =>
        {
            AllocationProbe probe = new(measureFromTicks);
            long now;
            while ((now = Stopwatch.GetTimestamp()) < endTicks)
            {
                probe.Sample(now);
                for (int i = 0; i < claimsPerClockRead; i++)
                {
                    long hi = ring.Next(batch);
                    long lo = hi - batch + 1;
                    for (long s = lo; s <= hi; s++)
                    {
                        ring[s].Value = s;
                    }
                    ring.Publish(lo, hi);
                }
            }
            probe.Sample(now);
            producerAllocatedBytes[p] = probe.Bytes;
        });

        Pacing.SleepUntil(measureFromTicks);
        long consumedAtStart = terminal.Value;
        long windowStartTicks = Stopwatch.GetTimestamp();
        long allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        int gen0AtStart = GC.CollectionCount(0);

        Pacing.SleepUntil(endTicks);
        JoinProducers(producers);
        long published = ring.Cursor;
        if (!Pacing.WaitUntil(() => terminal.Value == published, JoinLimitTicks))
        {
            throw new InvalidOperationException("consumers did not catch up with the producers within 30 s");
        }
        long windowEndTicks = Stopwatch.GetTimestamp();
        long allocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
        int gen0 = GC.CollectionCount(0) - gen0AtStart;
        StopAll(consumers);

        long events = published - consumedAtStart;
        double seconds = Pacing.TicksToSeconds(windowEndTicks - windowStartTicks);
        string group = $"{topology.Name} {WaitKinds.Name(wait)} max-rate";
        result.Add(group, "throughput", Math.Round(events / seconds), "events/s");
        result.Add(group, "events measured", events, "events");
        long expectedSum = published * (published + 1) / 2; // values are the sequences 0..published
        for (int k = 0; k < stages.Length; k++)
        {
            ref ThroughputHandler h = ref stages[k].Handler;
            result.Add(group, $"c{k + 1} mean batch", Math.Round((double)h.Events / Math.Max(1, h.Batches), 2), "events/batch");
            if (h.Sum != expectedSum || h.Events != published + 1)
            {
                result.Note($"{group}: CHECKSUM MISMATCH at c{k + 1}: events {h.Events}, sum {h.Sum}, expected {published + 1} / {expectedSum}");
            }
        }
        AddAllocations(result, group, producerAllocatedBytes, stages, static (ref ThroughputHandler h) => h.Allocations.Bytes, allocatedBytes, events);
        result.Add(group, "gen0 collections", gen0, "count");
    }

    private static void FixedRate(RingTopology topology, WaitKind wait, int ringSize, PerfOptions options, ScenarioResult result)
    {
        RingBuffer<RingEvent> ring = NewRing(topology, wait, ringSize);
        long startTicks = Stopwatch.GetTimestamp() + Pacing.TicksPerMs * 20; // let the consumer threads start first
        long measureFromTicks = startTicks + Pacing.SecondsToTicks(options.WarmupS);
        long endTicks = measureFromTicks + Pacing.SecondsToTicks(options.DurationS);

        var endToEnd = new LatencyRecorder[topology.PipelineLength];
        var hops = new LatencyRecorder[topology.PipelineLength];
        for (int k = 0; k < topology.PipelineLength; k++)
        {
            endToEnd[k] = new LatencyRecorder($"c{k + 1} e2e");
            hops[k] = new LatencyRecorder($"c{k + 1} hop");
        }
        BatchEventProcessor<RingEvent, LatencyHandler>[] stages =
            NewPipeline(ring, topology.PipelineLength, k => new LatencyHandler(k, measureFromTicks, endToEnd[k], hops[k]));
        ProcessorThread[] consumers = StartAll(stages, topology.Name);

        double intervalTicks = options.Rate == 0 ? 0 : (double)Stopwatch.Frequency * topology.Producers / options.Rate;
        long[] sent = new long[topology.Producers];
        long[] producerAllocatedBytes = new long[topology.Producers];
        Thread[] producers = StartProducers(topology.Producers, topology.Name, p =>
        {
            // Producers interleave their schedules evenly: producer p sends at start + (i + p / P) * interval.
            double offset = intervalTicks * p / topology.Producers;
            long i = 0;
            AllocationProbe probe = new(measureFromTicks);
            while (true)
            {
                long intended;
                if (intervalTicks == 0)
                {
                    intended = Stopwatch.GetTimestamp();
                    if (intended >= endTicks)
                    {
                        break;
                    }
                }
                else
                {
                    intended = startTicks + (long)(offset + (i * intervalTicks));
                    if (intended >= endTicks)
                    {
                        break;
                    }
                    Pacing.PaceUntil(intended);
                }
                long s = ring.Next();
                ref RingEvent e = ref ring[s];
                e.Value = s;
                e.IntendedTicks = intended;
                e.SentTicks = Stopwatch.GetTimestamp();
                ring.Publish(s);
                probe.Sample(e.SentTicks);
                i++;
            }
            sent[p] = i;
            probe.Sample(Stopwatch.GetTimestamp());
            producerAllocatedBytes[p] = probe.Bytes;
        });

        Pacing.SleepUntil(measureFromTicks);
        long allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
        Pacing.SleepUntil(endTicks);
        JoinProducers(producers);
        long published = ring.Cursor;
        Sequence terminal = stages[^1].Sequence;
        if (!Pacing.WaitUntil(() => terminal.Value == published, JoinLimitTicks))
        {
            throw new InvalidOperationException("consumers did not catch up with the producers within 30 s");
        }
        long allocatedBytes = GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart;
        StopAll(consumers);

        string group = $"{topology.Name} {WaitKinds.Name(wait)} fixed-rate";
        long measured = stages[^1].Handler.Measured;
        result.Add(group, "achieved rate", Math.Round(measured / options.DurationS), "events/s");
        for (int k = 0; k < stages.Length; k++)
        {
            endToEnd[k].Report(result, group);
            if (topology.PipelineLength > 1)
            {
                hops[k].Report(result, group);
            }
        }
        AddAllocations(result, group, producerAllocatedBytes, stages, static (ref LatencyHandler h) => h.Allocations.Bytes, allocatedBytes, measured);
    }

    private delegate long HandlerBytes<THandler>(ref THandler handler);

    /// <summary>
    /// Hot-path allocations per thread (producers, consumers: steady-state window only) and, for reference, the
    /// process-wide delta over the window, which also counts the coordinator thread and runtime housekeeping.
    /// </summary>
    private static void AddAllocations<THandler>(
        ScenarioResult result,
        string group,
        long[] producerBytes,
        BatchEventProcessor<RingEvent, THandler>[] stages,
        HandlerBytes<THandler> consumerBytes,
        long processBytes,
        long events)
        where THandler : IEventHandler<RingEvent>
    {
        long producers = 0;
        foreach (long b in producerBytes)
        {
            producers += b;
        }
        long consumers = 0;
        foreach (BatchEventProcessor<RingEvent, THandler> stage in stages)
        {
            consumers += consumerBytes(ref stage.Handler);
        }
        result.Add(group, "allocated by producer threads", producers, "bytes");
        result.Add(group, "allocated by consumer threads", consumers, "bytes");
        result.Add(group, "hot-path allocated per event", Math.Round((double)(producers + consumers) / Math.Max(1, events), 6), "bytes/event");
        result.Add(group, "process-wide allocated in window", processBytes, "bytes");
    }
}
