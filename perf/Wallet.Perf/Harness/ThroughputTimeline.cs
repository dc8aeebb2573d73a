using System.Diagnostics;

namespace Wallet.Perf.Harness;

/// <summary>
/// Completions per fixed interval during one run, for the throughput-over-time plot. Any thread may call
/// <see cref="Record"/> (one interlocked add into a preallocated bucket: no allocation, no lock). Completions after
/// the last bucket are counted in <see cref="Overflow"/>, never dropped silently.
/// </summary>
internal sealed class ThroughputTimeline
{
    /// <summary>Buckets per timeline: one hour at 100 ms, the longest phase the options allow.</summary>
    public const int MaxBuckets = 36_000;

    private readonly long[] _buckets;
    private readonly long _intervalTicks;
    private readonly long _startTicks;
    private long _overflow;
    private int _highest = -1;

    public ThroughputTimeline(string name, long startTicks, int intervalMs = 100, double expectedSeconds = 3600)
    {
        if (intervalMs is < 1 or > 60_000) throw new ArgumentOutOfRangeException(nameof(intervalMs), intervalMs, "must be in [1, 60000]");
        Name = name;
        IntervalMs = intervalMs;
        _intervalTicks = Stopwatch.Frequency * intervalMs / 1000;
        _startTicks = startTicks;
        // A little beyond the phase (drain time) but never more than MaxBuckets.
        int buckets = (int)Math.Clamp(Math.Ceiling((expectedSeconds * 2 + 30) * 1000 / intervalMs), 1, MaxBuckets);
        _buckets = new long[buckets];
    }

    public string Name { get; }

    public int IntervalMs { get; }

    public long Overflow => Interlocked.Read(ref _overflow);

    /// <summary>Counts <paramref name="count"/> completions at <paramref name="nowTicks"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Record(long nowTicks, long count = 1)
    {
        long bucket = (nowTicks - _startTicks) / _intervalTicks;
        if (bucket < 0) bucket = 0;
        if (bucket >= _buckets.Length)
        {
            Interlocked.Add(ref _overflow, count);
            return;
        }
        Interlocked.Add(ref _buckets[bucket], count);
        int b = (int)bucket;
        int seen = Volatile.Read(ref _highest);
        while (b > seen)
        {
            int was = Interlocked.CompareExchange(ref _highest, b, seen);
            if (was == seen) break;
            seen = was;
        }
    }

    /// <summary>Per-interval rates (completions per second), up to the last interval that saw a completion.</summary>
    public double[] RatesPerSecond()
    {
        int n = Volatile.Read(ref _highest) + 1;
        var rates = new double[n];
        for (int i = 0; i < n; i++) rates[i] = Interlocked.Read(ref _buckets[i]) * 1000.0 / IntervalMs;
        return rates;
    }

    public long Total()
    {
        long total = Overflow;
        foreach (long b in _buckets) total += b;
        return total;
    }
}
