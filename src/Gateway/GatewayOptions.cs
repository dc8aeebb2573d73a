using System.Net;

namespace Wallet.Gateway;

/// <summary>Limits and endpoints of the SBE gateway. Every limit carries its unit in its name. See docs/gateway.md.</summary>
public sealed class GatewayOptions
{
    /// <summary>Address to bind; loopback by default (the gateway has no TLS: never expose it without a tunnel).</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;
    /// <summary>TCP port; 0 picks an ephemeral port (tests).</summary>
    public int Port { get; init; } = 7400;
    public int MaxSessions { get; init; } = 64;
    /// <summary>Largest SOFH frame accepted, header included. Larger → Reject(FrameTooLarge) and close.</summary>
    public int MaxFrameBytes { get; init; } = 256 * 1024;
    /// <summary>Items per request (accounts, transfers, ids). Also bounded by the ledger's own MaxBatchSize.</summary>
    public int MaxBatchSize { get; init; } = 1024;
    /// <summary>Requests accepted by the partition but not yet answered, per session. Beyond → Reject(TooManyInFlight).</summary>
    public int MaxInFlightPerSession { get; init; } = 256;
    /// <summary>Bytes queued for a session and not yet handed to its socket. Beyond → Logout("slow consumer") and close.</summary>
    public int MaxOutboundBytesPerSession { get; init; } = 1024 * 1024;
    /// <summary>Heartbeat interval when the client asks for 0; the client's wish is clamped to [Min, Max].</summary>
    public int HeartbeatIntervalMs { get; init; } = 1000;
    public int MinHeartbeatIntervalMs { get; init; } = 100;
    public int MaxHeartbeatIntervalMs { get; init; } = 30_000;
    /// <summary>No inbound traffic for this many heartbeat intervals → Logout("idle timeout") and close.</summary>
    public int IdleTimeoutIntervals { get; init; } = 3;
    /// <summary>A connection that has not logged on within this time is closed.</summary>
    public int LogonTimeoutMs { get; init; } = 5000;
    /// <summary>Time a closing session gets to flush its last bytes (e.g. the Logout) before the socket is dropped.</summary>
    public int CloseLingerMs { get; init; } = 1000;
    /// <summary>
    /// Password checks (PBKDF2, deliberately slow) running at once; a Logon beyond it gets Busy and may retry, so a
    /// burst of logons cannot starve the I/O threads.
    /// </summary>
    public int MaxConcurrentLogons { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);
    /// <summary>Hint sent in Busy: when the client should retry.</summary>
    public int BusyRetryAfterMs { get; init; } = 5;
    /// <summary>Hint sent in Busy while no leader is known (an election takes a few heartbeat intervals, not 5 ms).</summary>
    public int NoLeaderRetryAfterMs { get; init; } = 100;
    /// <summary>Kernel socket send buffer per session (0 = OS default). Small values make slow consumers visible sooner.</summary>
    public int SocketSendBufferBytes { get; init; }

    /// <summary>Largest response the gateway can produce for one request (TransfersFound of a full batch) plus framing.</summary>
    public int MaxResponseBytes => Codec.ResponseEncoder.MaxResponseBytes(MaxBatchSize);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(BindAddress);
        Check(Port is >= 0 and <= 65535, nameof(Port), Port, "0..65535");
        Check(MaxSessions is >= 1 and <= 100_000, nameof(MaxSessions), MaxSessions, "1..100000");
        Check(MaxBatchSize is >= 1 and <= 8190, nameof(MaxBatchSize), MaxBatchSize, "1..8190 (the ledger's largest batch)");
        int minFrame = Codec.RequestLayout.MaxRequestBytes(MaxBatchSize);
        Check(MaxFrameBytes >= minFrame && MaxFrameBytes <= 16 << 20, nameof(MaxFrameBytes), MaxFrameBytes,
            $"{minFrame}..{16 << 20} (must hold a full batch of {MaxBatchSize} transfers)");
        Check(MaxInFlightPerSession is >= 1 and <= 1_000_000, nameof(MaxInFlightPerSession), MaxInFlightPerSession, "1..1000000");
        Check(MaxOutboundBytesPerSession >= MaxResponseBytes && MaxOutboundBytesPerSession <= 256 << 20, nameof(MaxOutboundBytesPerSession),
            MaxOutboundBytesPerSession, $"{MaxResponseBytes}..{256 << 20} (must hold the largest response for MaxBatchSize {MaxBatchSize})");
        Check(MinHeartbeatIntervalMs is >= 10 and <= 3_600_000, nameof(MinHeartbeatIntervalMs), MinHeartbeatIntervalMs, "10..3600000");
        Check(MaxHeartbeatIntervalMs >= MinHeartbeatIntervalMs && MaxHeartbeatIntervalMs <= 3_600_000, nameof(MaxHeartbeatIntervalMs), MaxHeartbeatIntervalMs, "MinHeartbeatIntervalMs..3600000");
        Check(HeartbeatIntervalMs >= MinHeartbeatIntervalMs && HeartbeatIntervalMs <= MaxHeartbeatIntervalMs, nameof(HeartbeatIntervalMs), HeartbeatIntervalMs, "MinHeartbeatIntervalMs..MaxHeartbeatIntervalMs");
        Check(IdleTimeoutIntervals is >= 2 and <= 100, nameof(IdleTimeoutIntervals), IdleTimeoutIntervals, "2..100");
        Check(LogonTimeoutMs is >= 10 and <= 600_000, nameof(LogonTimeoutMs), LogonTimeoutMs, "10..600000");
        Check(CloseLingerMs is >= 0 and <= 60_000, nameof(CloseLingerMs), CloseLingerMs, "0..60000");
        Check(MaxConcurrentLogons is >= 1 and <= 1024, nameof(MaxConcurrentLogons), MaxConcurrentLogons, "1..1024");
        Check(BusyRetryAfterMs is >= 0 and <= 60_000, nameof(BusyRetryAfterMs), BusyRetryAfterMs, "0..60000");
        Check(NoLeaderRetryAfterMs is >= 0 and <= 60_000, nameof(NoLeaderRetryAfterMs), NoLeaderRetryAfterMs, "0..60000");
        Check(SocketSendBufferBytes is >= 0 and <= 64 << 20, nameof(SocketSendBufferBytes), SocketSendBufferBytes, "0 (OS default)..67108864");
    }

    private static void Check(bool ok, string name, int value, string range)
    {
        if (!ok) throw new ArgumentException($"Gateway:{name} = {value} is invalid: expected {range}.", name);
    }
}
