using System.Diagnostics;
using Wallet.Engine.Ring;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios.Ring;

/// <summary>
/// Fixed-rate consumer at pipeline position <see cref="_stage"/> (0-based). Records end-to-end latency from the
/// intended send time (coordinated-omission corrected) and the hop latency from the previous stage's stamp
/// (the producer's actual send for stage 0), then stamps its own time for the next stage. Ignores warm-up events.
/// </summary>
internal struct LatencyHandler : IEventHandler<RingEvent>
{
    private readonly int _stage;
    private readonly long _measureFromTicks;
    private readonly LatencyRecorder _endToEnd;
    private readonly LatencyRecorder _hop;
    public long Measured;
    public AllocationProbe Allocations;

    public LatencyHandler(int stage, long measureFromTicks, LatencyRecorder endToEnd, LatencyRecorder hop)
    {
        _stage = stage;
        _measureFromTicks = measureFromTicks;
        _endToEnd = endToEnd;
        _hop = hop;
        Measured = 0;
        Allocations = new AllocationProbe(measureFromTicks);
    }

    public void OnEvent(ref RingEvent data, long sequence, bool endOfBatch)
    {
        long now = Stopwatch.GetTimestamp();
        long previous = _stage switch
        {
            0 => data.SentTicks,
            1 => data.Stage1Ticks,
            _ => data.Stage2Ticks,
        };
        if (data.IntendedTicks >= _measureFromTicks)
        {
            _endToEnd.RecordTicks(now - data.IntendedTicks);
            _hop.RecordTicks(now - previous);
            Measured++;
        }
        if (_stage == 0)
        {
            data.Stage1Ticks = now;
        }
        else if (_stage == 1)
        {
            data.Stage2Ticks = now;
        }
        if (endOfBatch)
        {
            Allocations.Sample(now);
        }
    }

    public readonly void OnBatchStart(long batchSize)
    {
    }

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
