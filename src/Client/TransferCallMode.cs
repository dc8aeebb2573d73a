namespace Wallet.Client;

/// <summary>How a pooled <see cref="TransferCall"/> reports its outcome.</summary>
internal enum TransferCallMode
{
    /// <summary><see cref="WalletClient.CreateTransferAsync"/>: a Task over the value-task source, continuations always asynchronous.</summary>
    Task = 0,
    /// <summary><see cref="WalletClient.TransferAsync"/>: the caller awaits the value task; counted in the pending window.</summary>
    ValueTask = 1,
    /// <summary><see cref="WalletClient.TrySubmitTransfer"/>: a handler is called; counted in the pending window.</summary>
    Handler = 2,
}
