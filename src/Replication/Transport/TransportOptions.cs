namespace Wallet.Replication.Transport;

/// <summary>Limits and timings of the replica-to-replica TCP transport. Every queue is bounded.</summary>
public sealed class TransportOptions
{
    /// <summary>Largest consensus message accepted or sent (an AppendEntries batch). Bigger inbound frames cut the link.</summary>
    public int MaxMessageBytes { get; init; } = 8 << 20;
    /// <summary>Bytes queued for one peer before further messages to it are dropped (consensus resends what matters).</summary>
    public int MaxQueuedBytesPerPeer { get; init; } = 32 << 20;
    /// <summary>Bytes received but not yet drained by the driver; receivers stop reading (TCP backpressure) above it.</summary>
    public int MaxInboxBytes { get; init; } = 64 << 20;
    /// <summary>Wait between connection attempts to a peer that is down.</summary>
    public int ReconnectDelayMs { get; init; } = 50;
    public int ConnectTimeoutMs { get; init; } = 1000;
    /// <summary>A peer that connected must say who it is within this time.</summary>
    public int HandshakeTimeoutMs { get; init; } = 2000;
    /// <summary>Socket send/receive buffer sizes (0 = OS default).</summary>
    public int SocketBufferBytes { get; init; } = 4 << 20;

    public void Validate()
    {
        Check(MaxMessageBytes is >= 1024 and <= 256 << 20, nameof(MaxMessageBytes), MaxMessageBytes, "1 KiB..256 MiB");
        Check(MaxQueuedBytesPerPeer >= 2 * MaxMessageBytes && MaxQueuedBytesPerPeer <= 1 << 30, nameof(MaxQueuedBytesPerPeer), MaxQueuedBytesPerPeer, "2 x MaxMessageBytes..1 GiB");
        Check(MaxInboxBytes >= 2 * MaxMessageBytes && MaxInboxBytes <= 1 << 30, nameof(MaxInboxBytes), MaxInboxBytes, "2 x MaxMessageBytes..1 GiB");
        Check(ReconnectDelayMs is >= 1 and <= 60_000, nameof(ReconnectDelayMs), ReconnectDelayMs, "1..60000");
        Check(ConnectTimeoutMs is >= 10 and <= 60_000, nameof(ConnectTimeoutMs), ConnectTimeoutMs, "10..60000");
        Check(HandshakeTimeoutMs is >= 10 and <= 60_000, nameof(HandshakeTimeoutMs), HandshakeTimeoutMs, "10..60000");
        Check(SocketBufferBytes is >= 0 and <= 256 << 20, nameof(SocketBufferBytes), SocketBufferBytes, "0..256 MiB");
    }

    private static void Check(bool ok, string name, int value, string range)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, value, $"Transport:{name} must be {range}");
    }
}
