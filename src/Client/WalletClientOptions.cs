namespace Wallet.Client;

/// <summary>
/// Settings of a <see cref="WalletClient"/>. Every limit has a unit in its name; defaults are in
/// docs/client.md. Values negotiated at logon (in-flight, frame size, batch size, heartbeat) are the
/// minimum of these and what the gateway announces in LogonAck.
/// </summary>
public sealed class WalletClientOptions
{
    /// <summary>Primary gateway host.</summary>
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; }
    /// <summary>Further gateways tried (round-robin after the primary) when reconnecting.</summary>
    public IReadOnlyList<WalletEndpoint> SeedEndpoints { get; set; } = [];

    public string ClientId { get; set; } = "";
    public string Credential { get; set; } = "";

    /// <summary>TCP connect plus Logon/LogonAck, per attempt.</summary>
    public int ConnectTimeoutMs { get; set; } = 5_000;
    /// <summary>From submission to result, across Busy retries and reconnects.</summary>
    public int RequestTimeoutMs { get; set; } = 30_000;

    /// <summary>Proposed in Logon; the gateway's LogonAck value wins when it is nonzero.</summary>
    public int HeartbeatIntervalMs { get; set; } = 1_000;
    /// <summary>
    /// A connection from which nothing arrived for this many heartbeat intervals is dead. "Arrived" counts bytes waiting
    /// unread in the socket too: a receive loop held up in this process (a blocking completion, a starved thread pool)
    /// does not make a live gateway look dead.
    /// </summary>
    public int DeadAfterMissedHeartbeats { get; set; } = 3;

    /// <summary>Client-side cap of requests sent and not yet answered (the gateway's cap also applies).</summary>
    public int MaxInFlight { get; set; } = 64;
    /// <summary>Client-side cap of items per message (the gateway's maxBatchSize also applies).</summary>
    public int MaxBatchSize { get; set; } = 8190;
    /// <summary>Largest frame this client sends (the gateway's maxFrameBytes also applies).</summary>
    public int MaxFrameBytes { get; set; } = 1 << 20;
    /// <summary>Largest frame accepted from the gateway; anything longer resets the connection.</summary>
    public int MaxReceiveFrameBytes { get; set; } = 4 << 20;
    /// <summary>Requests waiting to be sent (not yet in flight) before calls fail fast.</summary>
    public int MaxQueuedRequests { get; set; } = 4_096;
    /// <summary>Single transfers waiting to be coalesced before calls fail fast.</summary>
    public int MaxQueuedSingleTransfers { get; set; } = 65_536;
    /// <summary>
    /// Transfers of <see cref="WalletClient.TransferAsync"/> and <see cref="WalletClient.TrySubmitTransfer"/> submitted
    /// and not yet completed (queued or in flight). A full window refuses at once (WindowFull status /
    /// <see cref="WalletQueueFullException"/>) instead of queueing without bound. Also the most completion objects
    /// the client keeps pooled (grown on demand, never preallocated).
    /// </summary>
    public int MaxPendingTransfers { get; set; } = 16_384;
    /// <summary>
    /// Where the continuation of a <see cref="WalletClient.TransferAsync"/> await runs. false (default, safe): on the
    /// thread pool, one hop after the answer is read. true (fastest): inline on the connection's receive loop — no hop,
    /// but a continuation that blocks stalls every answer of the connection until it returns. Handlers of
    /// <see cref="WalletClient.TrySubmitTransfer"/> always run inline; the Task API always runs asynchronously.
    /// </summary>
    public bool CompletionsOnReceiveThread { get; set; }
    /// <summary>
    /// Called with each exception a result handler (or an inline continuation) threw, after it is counted in
    /// <see cref="WalletClient.HandlerFaultCount"/> — the place to log it. Runs on the receive thread: keep it short and
    /// non-blocking. An exception it throws itself is swallowed (the receive loop must go on).
    /// </summary>
    public Action<Exception>? OnHandlerFault { get; set; }
    /// <summary>
    /// Single transfers (<see cref="WalletClient.TransferAsync"/>, <see cref="WalletClient.TrySubmitTransfer"/>,
    /// <see cref="WalletClient.CreateTransferAsync"/>) submitted on an idle connection — nothing queued, a free in-flight
    /// slot, nobody writing — are written by the calling thread with one non-blocking send instead of waking the send loop
    /// (saves a thread hop per transfer at low and moderate rates). Under load callers queue and are coalesced as before.
    /// false: every transfer goes through the send loop.
    /// </summary>
    public bool DirectSend { get; set; } = true;
    /// <summary>
    /// The direct path is taken only while fewer than this many requests are in flight on the connection. 1 (default):
    /// only on a connection with nothing outstanding — Nagle's rule for requests: the first transfer goes out at once
    /// from its caller, the ones that follow it within a round trip are coalesced by the send loop (one frame for many),
    /// which is what keeps the gateway's per-frame cost down under load. Higher values send more transfers one frame
    /// each; at most <see cref="MaxInFlight"/> matters.
    /// </summary>
    public int DirectSendMaxInFlight { get; set; } = 1;
    /// <summary>Bytes gathered into one socket write when several frames are queued.</summary>
    public int SendBufferBytes { get; set; } = 256 * 1024;
    /// <summary>The socket's kernel send buffer (SO_SNDBUF); 0 = the OS default. Tests shrink it to force partial sends.</summary>
    internal int SocketSendBufferBytes { get; set; }

    /// <summary>Busy answers retried per request before <see cref="WalletBusyException"/>.</summary>
    public int BusyRetryLimit { get; set; } = 5;
    /// <summary>Cap on the gateway's retryAfterMs (a hostile or buggy value cannot park a request).</summary>
    public int BusyRetryMaxDelayMs { get; set; } = 1_000;

    /// <summary>Connection attempts after a loss before every pending call fails.</summary>
    public int ReconnectAttempts { get; set; } = 5;
    public int ReconnectInitialBackoffMs { get; set; } = 50;
    public int ReconnectMaxBackoffMs { get; set; } = 2_000;
    /// <summary>Redirects followed in a row without a successful logon before giving up.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>
    /// After a resubmission (connection lost while in flight) an item answered <c>Exists</c> was applied by
    /// the first submission: report <c>Ok</c>. Never applied to items the client sent only once.
    /// </summary>
    public bool ResubmittedExistsAsOk { get; set; } = true;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentNullException.ThrowIfNull(SeedEndpoints);
        ArgumentNullException.ThrowIfNull(ClientId);
        ArgumentNullException.ThrowIfNull(Credential);
        ArgumentOutOfRangeException.ThrowIfLessThan(ConnectTimeoutMs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(RequestTimeoutMs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(HeartbeatIntervalMs, 10);
        ArgumentOutOfRangeException.ThrowIfLessThan(DeadAfterMissedHeartbeats, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxReceiveFrameBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedRequests, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxQueuedSingleTransfers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SendBufferBytes, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(DirectSendMaxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingTransfers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPendingTransfers, 1 << 22);
        ArgumentOutOfRangeException.ThrowIfNegative(BusyRetryLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(BusyRetryMaxDelayMs);
        ArgumentOutOfRangeException.ThrowIfNegative(ReconnectAttempts);
        ArgumentOutOfRangeException.ThrowIfNegative(ReconnectInitialBackoffMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReconnectMaxBackoffMs, ReconnectInitialBackoffMs);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRedirects);
        foreach (WalletEndpoint e in SeedEndpoints)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(e.Host, nameof(SeedEndpoints));
            ArgumentOutOfRangeException.ThrowIfLessThan(e.Port, 1, nameof(SeedEndpoints));
        }
    }
}
