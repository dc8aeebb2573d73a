namespace Wallet.Replication;

/// <summary>One log entry as read from an <see cref="IRaftLog"/>. <see cref="Payload"/> is valid until the next read on the same cursor.</summary>
public readonly ref struct RaftLogEntry
{
    public RaftLogEntry(long index, long term, ushort type, long timestampNs, ReadOnlySpan<byte> payload)
    {
        Index = index;
        Term = term;
        Type = type;
        TimestampNs = timestampNs;
        Payload = payload;
    }

    public long Index { get; }
    public long Term { get; }
    public ushort Type { get; }
    public long TimestampNs { get; }
    public ReadOnlySpan<byte> Payload { get; }
}
