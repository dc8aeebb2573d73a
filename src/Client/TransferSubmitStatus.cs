namespace Wallet.Client;

/// <summary>Outcome of <see cref="WalletClient.TrySubmitTransfer"/>; only <see cref="Submitted"/> leads to a handler call.</summary>
public enum TransferSubmitStatus
{
    /// <summary>Accepted: the handler will be called exactly once.</summary>
    Submitted = 0,
    /// <summary><see cref="WalletClientOptions.MaxPendingTransfers"/> transfers are pending: wait for completions and retry.</summary>
    WindowFull = 1,
    /// <summary><see cref="WalletClientOptions.MaxQueuedSingleTransfers"/> transfers wait to be sent: the connection is behind.</summary>
    QueueFull = 2,
    /// <summary>The client was disposed.</summary>
    Disposed = 3,
    /// <summary>The client lost its connection and gave up reconnecting; it stays unusable.</summary>
    ConnectionFailed = 4,
}
