namespace Wallet.Perf.Scenarios.Ring;

/// <summary>Slot of the ring benchmark. Timestamps are <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
internal struct RingEvent
{
    public long Value;

    /// <summary>When the fixed-rate schedule meant to send this event (latency is measured from here).</summary>
    public long IntendedTicks;

    /// <summary>When the producer actually published it.</summary>
    public long SentTicks;

    /// <summary>When consumer 1 / consumer 2 handled it (pipeline hop stamps).</summary>
    public long Stage1Ticks;

    public long Stage2Ticks;
}
