namespace Wallet.Replication.Cluster;

/// <summary>Production jitter for election timeouts (not used by the BLP, which never sees randomness).</summary>
public sealed class SystemRaftRandom : IRaftRandom
{
    public int NextInt(int minInclusive, int maxExclusive) => Random.Shared.Next(minInclusive, maxExclusive);
}
