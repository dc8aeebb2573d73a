using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wallet.Perf.Harness;

/// <summary>
/// Where in time the tail sits: the worst latency per 10 ms of intended send time over one open-loop phase. A
/// histogram says how bad p99 is; this says whether it is one stall, a periodic one (a journal's page faults every
/// 0.6 s, a snapshot every million commands) or a steady queue. Written as CSV (<c>ms_from_start,max_latency_us</c>)
/// by <c>e2e --latency-trace DIR</c>. Recording allocates nothing; callers serialise <see cref="Record"/>.
/// </summary>
internal sealed class LatencyTrace
{
    public const int BucketMs = 10;
    /// <summary>One hour of buckets at most: a bound, not a use case.</summary>
    private const int MaxBuckets = 3600 * 1000 / BucketMs;

    private readonly long _startTicks;
    private readonly long _bucketTicks = Stopwatch.Frequency * BucketMs / 1000;
    private readonly long[] _maxTicks;

    public LatencyTrace(long startTicks, double seconds)
    {
        _startTicks = startTicks;
        _maxTicks = new long[(int)Math.Clamp(Math.Ceiling(seconds * 1000 / BucketMs) + 1, 1, MaxBuckets)];
    }

    public void Record(long intendedTicks, long latencyTicks)
    {
        long bucket = (intendedTicks - _startTicks) / _bucketTicks;
        if (bucket >= 0 && bucket < _maxTicks.Length && latencyTicks > _maxTicks[bucket]) _maxTicks[bucket] = latencyTicks;
    }

    public void WriteCsv(string path)
    {
        var text = new StringBuilder("ms_from_start,max_latency_us\n");
        double usPerTick = 1e6 / Stopwatch.Frequency;
        for (int i = 0; i < _maxTicks.Length; i++)
        {
            text.Append((i * BucketMs).ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(((long)(_maxTicks[i] * usPerTick)).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }
}
