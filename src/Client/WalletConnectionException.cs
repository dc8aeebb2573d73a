namespace Wallet.Client;

/// <summary>
/// No usable connection: reconnect attempts exhausted, or a connection declared dead. When a call fails with
/// this after its request was sent, the outcome is unknown — resubmit the same ids to learn it.
/// </summary>
public sealed class WalletConnectionException : Exception
{
    public WalletConnectionException() { }
    public WalletConnectionException(string message) : base(message) { }
    public WalletConnectionException(string message, Exception inner) : base(message, inner) { }
}
