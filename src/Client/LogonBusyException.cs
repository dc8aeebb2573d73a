namespace Wallet.Client;

/// <summary>
/// The node answered a logon with Busy: it is up, but no leader is known yet (an election is running), so it can
/// neither serve the session nor redirect it. Internal: <c>EstablishAsync</c> waits the hinted time and logs on again,
/// up to <see cref="WalletClientOptions.BusyRetryLimit"/> times before giving up with a <see cref="WalletConnectionException"/>.
/// </summary>
internal sealed class LogonBusyException : Exception
{
    public LogonBusyException(uint retryAfterMs)
        : base($"the node answered the logon with Busy (no leader yet; retry after {retryAfterMs} ms)")
    {
        RetryAfterMs = retryAfterMs;
    }

    public LogonBusyException() { }
    public LogonBusyException(string message) : base(message) { }
    public LogonBusyException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The node's hint; 0 when it gave none.</summary>
    public uint RetryAfterMs { get; }
}
