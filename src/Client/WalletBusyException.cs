namespace Wallet.Client;

/// <summary>The gateway kept answering Busy after the configured number of retries; nothing was applied.</summary>
public sealed class WalletBusyException : Exception
{
    public WalletBusyException(ulong correlationId, int attempts, uint lastRetryAfterMs)
        : base($"request {correlationId} still Busy after {attempts} attempts (last retryAfterMs {lastRetryAfterMs})")
    {
        CorrelationId = correlationId;
        Attempts = attempts;
        LastRetryAfterMs = lastRetryAfterMs;
    }

    public WalletBusyException() { }
    public WalletBusyException(string message) : base(message) { }
    public WalletBusyException(string message, Exception inner) : base(message, inner) { }

    public ulong CorrelationId { get; }
    public int Attempts { get; }
    public uint LastRetryAfterMs { get; }
}
