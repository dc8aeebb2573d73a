namespace Wallet.Replication.Simulation;

/// <summary>
/// xoshiro256** seeded through SplitMix64 (both public-domain algorithms by Blackman and Vigna, written here from
/// their description). Deterministic across runs and platforms: the whole simulation draws from instances of this.
/// </summary>
public sealed class SimRandom : IRaftRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SimRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong NextULong()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [minInclusive, maxExclusive) (rejection-free multiply-shift; bias is negligible for simulation).</summary>
    public int NextInt(int minInclusive, int maxExclusive)
    {
        if (maxExclusive <= minInclusive) return minInclusive;
        var range = (ulong)((long)maxExclusive - minInclusive);
        var hi = Math.BigMul(NextULong(), range, out _);
        return (int)(minInclusive + (long)hi);
    }

    /// <summary>True with probability <paramref name="perMillion"/> / 1,000,000.</summary>
    public bool Chance(int perMillion) => perMillion > 0 && NextInt(0, 1_000_000) < perMillion;

    /// <summary>A new independent generator derived from this one (so subsystems do not perturb each other's streams).</summary>
    public SimRandom Fork() => new(NextULong());

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
