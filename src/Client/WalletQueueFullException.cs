namespace Wallet.Client;

/// <summary>The client's own send queue is full (see the MaxQueued… options); nothing was sent.</summary>
public sealed class WalletQueueFullException : Exception
{
    public WalletQueueFullException() { }
    public WalletQueueFullException(string message) : base(message) { }
    public WalletQueueFullException(string message, Exception inner) : base(message, inner) { }
}
