namespace Wallet.Engine.Audit;

/// <summary>Where a replay stops: after a log index, or after the last command stamped at or before a time.</summary>
public readonly record struct ReplayTarget
{
    private ReplayTarget(long index, long timestampNs) { Index = index; TimestampNs = timestampNs; }

    /// <summary>Inclusive log index, or long.MaxValue when the target is a time.</summary>
    public long Index { get; }
    /// <summary>Inclusive timestamp (ns since the Unix epoch), or long.MaxValue when the target is an index.</summary>
    public long TimestampNs { get; }

    public static ReplayTarget AtIndex(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new ReplayTarget(index, long.MaxValue);
    }

    public static ReplayTarget AtTime(long timestampNs) => new(long.MaxValue, timestampNs);

    public static ReplayTarget AtTime(DateTimeOffset time) => AtTime((time.UtcTicks - DateTime.UnixEpoch.Ticks) * 100);

    public static ReplayTarget End => new(long.MaxValue, long.MaxValue);

    internal bool Includes(long index, long timestampNs) => index <= Index && timestampNs <= TimestampNs;

    public override string ToString() => Index != long.MaxValue ? $"index {Index}" : TimestampNs != long.MaxValue ? $"time {TimestampNs} ns" : "end of log";
}
