namespace Wallet.Replication;

/// <summary>
/// Identifies one snapshot file as it travels between replicas: the log position it covers (index, term, timestamp of
/// the last entry applied into it), its size in bytes, and the file's own checksum (the snapshot header's self-hash,
/// which covers the payload hash, so it names the exact content).
/// </summary>
public readonly record struct RaftSnapshotMeta(long Index, long Term, long TimestampNs, long SizeBytes, ulong Checksum);
