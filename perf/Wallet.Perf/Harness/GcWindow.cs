namespace Wallet.Perf.Harness;

/// <summary>
/// This process's garbage collections over a measured window: collections per generation and the total pause.
/// Why: an open-loop latency is counted from the intended send time, so a pause of the load generator itself lands
/// in the measured tail exactly like a pause of the server; reporting both keeps the two apart.
/// </summary>
internal readonly struct GcWindow
{
    private readonly int _gen0;
    private readonly int _gen1;
    private readonly int _gen2;
    private readonly TimeSpan _pause;
    private readonly long _allocatedBytes;

    private GcWindow(int gen0, int gen1, int gen2, TimeSpan pause, long allocatedBytes)
    {
        _gen0 = gen0;
        _gen1 = gen1;
        _gen2 = gen2;
        _pause = pause;
        _allocatedBytes = allocatedBytes;
    }

    public static GcWindow Start() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: false));

    /// <summary>Adds "&lt;who&gt; GC collections", "… GC pause" and "… allocated" rows to <paramref name="group"/>.</summary>
    public void Report(ScenarioResult result, string group, string who)
    {
        // Collection counts are cumulative over lower generations (a gen2 also counts as gen0 and gen1).
        result.Add(group, who + " gen0 GCs", GC.CollectionCount(0) - _gen0, "GCs");
        result.Add(group, who + " gen1 GCs", GC.CollectionCount(1) - _gen1, "GCs");
        result.Add(group, who + " gen2 GCs", GC.CollectionCount(2) - _gen2, "GCs");
        result.Add(group, who + " GC pause", (GC.GetTotalPauseDuration() - _pause).TotalMilliseconds, "ms");
        result.Add(group, who + " allocated", (GC.GetTotalAllocatedBytes(precise: false) - _allocatedBytes) / (1024.0 * 1024.0), "MiB");
    }
}
