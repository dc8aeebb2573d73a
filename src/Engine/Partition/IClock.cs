namespace Wallet.Engine.Partition;

/// <summary>
/// Wall-clock source for the sequencer. Only the sequencer reads time; the BLP gets time from the stamp the
/// sequencer wrote into the journal, which is what makes replay deterministic.
/// </summary>
public interface IClock
{
    /// <summary>Nanoseconds since the Unix epoch.</summary>
    long UtcNowNs();
}

/// <summary>The machine's clock.</summary>
public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();

    public long UtcNowNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock(long startNs) : IClock
{
    private long _nowNs = startNs;

    public long UtcNowNs() => Volatile.Read(ref _nowNs);

    public void Advance(long deltaNs) => Interlocked.Add(ref _nowNs, deltaNs);

    public void Set(long nowNs) => Volatile.Write(ref _nowNs, nowNs);
}
