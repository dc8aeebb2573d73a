namespace Wallet.Perf.Harness;

/// <summary>
/// Counts bytes allocated by the owning thread between its first sample at or after <see cref="MeasureFromTicks"/>
/// and its latest sample, via <see cref="GC.GetAllocatedBytesForCurrentThread"/> (a cheap thread-local read).
/// Sample at batch ends so the steady-state hot path is attributed exactly, excluding warm-up and shutdown.
/// </summary>
internal struct AllocationProbe
{
    private long _firstBytes;
    private long _lastBytes;
    private bool _started;

    public AllocationProbe(long measureFromTicks)
    {
        MeasureFromTicks = measureFromTicks;
    }

    public long MeasureFromTicks { get; }

    /// <summary>Bytes allocated between the first and last in-window samples.</summary>
    public readonly long Bytes => _started ? _lastBytes - _firstBytes : 0;

    public void Sample(long nowTicks)
    {
        if (nowTicks < MeasureFromTicks)
        {
            return;
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        if (!_started)
        {
            _started = true;
            _firstBytes = bytes;
        }
        _lastBytes = bytes;
    }
}
