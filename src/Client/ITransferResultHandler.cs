using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>
/// Receives the outcome of a transfer submitted with <see cref="WalletClient.TrySubmitTransfer"/>: exactly one of the
/// two methods is called once per accepted submission, with the caller's <c>userToken</c>.
/// </summary>
/// <remarks>
/// Called on the thread that completes the transfer: the connection's receive loop for answers, the client's timer
/// for timeouts, the disposing or reconnecting thread for failures. It must return quickly and must not block (no
/// waits, no I/O): while it runs, no other answer of the connection is read. It may submit further transfers.
/// An exception thrown by it is caught and counted (<see cref="WalletClient.HandlerFaultCount"/>), never propagated.
/// </remarks>
public interface ITransferResultHandler
{
    /// <summary>The ledger's answer for the transfer (<see cref="ResultCode.Ok"/> or a business outcome).</summary>
    void OnTransferCompleted(long userToken, ResultCode code);

    /// <summary>
    /// The ledger's answer with its receipt: the log index and ledger timestamp (ns since the Unix epoch) of the command
    /// that answered (a message may carry several callers' transfers: they share one command). This is the method the
    /// client calls; the default forwards to <see cref="OnTransferCompleted(long, ResultCode)"/>, so implement it only
    /// when the receipt matters (e.g. to record where the transfer sits in the journal).
    /// </summary>
    void OnTransferCompleted(long userToken, ResultCode code, long logIndex, long timestampNs) => OnTransferCompleted(userToken, code);

    /// <summary>
    /// No ledger answer: the same exceptions the Task API throws (<see cref="TimeoutException"/>,
    /// <see cref="WalletConnectionException"/>, <see cref="WalletBusyException"/>, <see cref="WalletRejectedException"/>,
    /// <see cref="ObjectDisposedException"/>…), with the same "applied?" meaning (docs/client.md).
    /// </summary>
    void OnTransferFailed(long userToken, Exception error);
}
