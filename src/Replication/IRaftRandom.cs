namespace Wallet.Replication;

/// <summary>
/// The node's only source of randomness (election timeout jitter). Injected so that the simulation is
/// reproducible from a seed; production may use any decent generator (it need not be cryptographic).
/// </summary>
public interface IRaftRandom
{
    /// <summary>A value in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    int NextInt(int minInclusive, int maxExclusive);
}
