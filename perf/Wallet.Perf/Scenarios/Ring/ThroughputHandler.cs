using System.Diagnostics;
using Wallet.Engine.Ring;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Ring;

/// <summary>Max-rate consumer: sums values (checksum) and counts batches. A struct so the processor calls it directly.</summary>
internal struct ThroughputHandler : IEventHandler<RingEvent>
{
    public long Events;
    public long Batches;
    public long Sum;
    public AllocationProbe Allocations;

    public ThroughputHandler(long measureFromTicks)
    {
        Allocations = new AllocationProbe(measureFromTicks);
    }

    public void OnEvent(ref RingEvent data, long sequence, bool endOfBatch)
    {
        Sum += data.Value;
        Events++;
        if (endOfBatch)
        {
            Allocations.Sample(Stopwatch.GetTimestamp());
        }
    }

    public void OnBatchStart(long batchSize) => Batches++;

    public readonly void OnStart()
    {
    }

    public readonly void OnShutdown()
    {
    }

    public readonly void OnTimeout(long sequence)
    {
    }
}
