using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Routing;

namespace Wallet.Host.Cluster;

/// <summary>
/// One single transfer forwarded over a <see cref="ForwardLink"/> through the SDK's coalesced single-transfer path: its
/// outcome (with the peer's receipt — log index and ledger timestamp) arrives on the link connection's receive loop,
/// which must not be held up, so the completion runs on the thread pool. Frees the link's in-flight slot when done.
/// </summary>
internal sealed class ForwardedTransfer(ForwardLink link, WalletClient client, IForwardCompletion completion)
    : ITransferResultHandler, IThreadPoolWorkItem
{
    private ResultCode _code;
    private long _logIndex;
    private long _timestampNs;
    private Exception? _error;

    public void OnTransferCompleted(long userToken, ResultCode code) => OnTransferCompleted(userToken, code, 0, 0);

    public void OnTransferCompleted(long userToken, ResultCode code, long logIndex, long timestampNs)
    {
        _code = code;
        _logIndex = logIndex;
        _timestampNs = timestampNs;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void OnTransferFailed(long userToken, Exception error)
    {
        _error = error;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void Execute()
    {
        try
        {
            if (_error is null)
            {
                ResultCode code = _code;
                completion.OnResults(new ReadOnlySpan<ResultCode>(in code), _logIndex, _timestampNs);
            }
            else
            {
                link.OnFailed(_error, client, completion);
            }
        }
        finally
        {
            link.OnSingleDone();
        }
    }
}
