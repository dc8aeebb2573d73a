using System.Diagnostics;
using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>One caller of <see cref="WalletClient.CreateTransferAsync"/> waiting to be coalesced into a batch.</summary>
internal sealed class SingleTransfer : TaskCompletionSource<ResultCode>
{
    public readonly Transfer Transfer;
    public readonly long DeadlineTimestamp;
    private CancellationTokenRegistration _cancellation;

    public SingleTransfer(in Transfer transfer, int timeoutMs)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Transfer = transfer;
        DeadlineTimestamp = Stopwatch.GetTimestamp() + timeoutMs * Stopwatch.Frequency / 1000;
    }

    public void RegisterCancellation(CancellationToken ct)
    {
        if (ct.CanBeCanceled)
        {
            _cancellation = ct.UnsafeRegister(static (s, token) =>
            {
                var self = (SingleTransfer)s!;
                if (self.TrySetCanceled(token))
                {
                    self._cancellation.Dispose();
                }
            }, this);
        }
    }

    public void Succeed(ResultCode code)
    {
        if (TrySetResult(code))
        {
            _cancellation.Dispose();
        }
    }

    public void Fail(Exception error)
    {
        if (TrySetException(error))
        {
            _cancellation.Dispose();
        }
    }
}
