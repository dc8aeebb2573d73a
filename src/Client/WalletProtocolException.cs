namespace Wallet.Client;

/// <summary>The gateway sent bytes that violate the protocol; the client resets the connection.</summary>
public sealed class WalletProtocolException : Exception
{
    public WalletProtocolException() { }
    public WalletProtocolException(string message) : base(message) { }
    public WalletProtocolException(string message, Exception inner) : base(message, inner) { }
}
