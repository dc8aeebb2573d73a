using System.Threading.Tasks.Sources;
using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>
/// One single transfer from submission to outcome, pooled and reused: the value-task source of
/// <see cref="WalletClient.TransferAsync"/> (and, through <c>AsTask</c>, of <see cref="WalletClient.CreateTransferAsync"/>),
/// or the carrier of a <see cref="ITransferResultHandler"/> call. Steady state allocates nothing.
/// </summary>
/// <remarks>
/// Lifetime: <see cref="Arm"/> (under the client lock) makes the ticket odd = pending; exactly one of
/// <see cref="TrySucceed"/> / <see cref="TryFail"/> wins the compare-and-swap to the next (even) ticket; the call goes
/// back to the pool when the awaiter has read the result (<see cref="GetResult"/>) or the handler has returned.
/// Holders of a stale ticket (a batch still carrying a call that was cancelled and reused) lose every swap.
/// The value-task version check makes a second await (or a wait before completion) throw instead of reading — or
/// recycling — another caller's outcome.
/// </remarks>
internal sealed class TransferCall : IValueTaskSource<ResultCode>, IValueTaskSource<Receipt<ResultCode>>
{
    private readonly WalletClient _owner;
    private ManualResetValueTaskSourceCore<ResultCode> _core;
    private int _ticket;
    private TransferCallMode _mode;
    private ITransferResultHandler? _handler;
    private long _userToken;
    private CancellationTokenRegistration _cancellation;
    // The answering command's receipt, written before the result is published (read by the receipt GetResult).
    private long _logIndex;
    private long _timestampNs;

    /// <summary>Copied at submission; read only under the client lock while the ticket is pending.</summary>
    public Transfer Transfer;
    public long DeadlineTimestamp;

    public TransferCall(WalletClient owner) => _owner = owner;

    /// <summary>Value-task token of the current use.</summary>
    public short Version => _core.Version;

    /// <summary>Under the client lock, on a call taken from the pool. Returns the ticket of this use.</summary>
    public int Arm(in Transfer transfer, long deadlineTimestamp, TransferCallMode mode, ITransferResultHandler? handler,
        long userToken, bool runContinuationsAsynchronously)
    {
        Transfer = transfer;
        DeadlineTimestamp = deadlineTimestamp;
        _mode = mode;
        _handler = handler;
        _userToken = userToken;
        _core.RunContinuationsAsynchronously = runContinuationsAsynchronously;
        return Interlocked.Increment(ref _ticket); // even (idle) -> odd (pending)
    }

    public bool IsPending(int ticket) => Volatile.Read(ref _ticket) == ticket;

    /// <summary>
    /// Before the value task is handed out (so before anyone can read the result and recycle the call): a cancelled
    /// token fails the call with <see cref="OperationCanceledException"/>. The registration is disposed on recycling.
    /// </summary>
    public void RegisterCancellation(CancellationToken ct)
    {
        if (ct.CanBeCanceled)
        {
            _cancellation = ct.UnsafeRegister(static (s, token) =>
            {
                var self = (TransferCall)s!;
                int ticket = Volatile.Read(ref self._ticket);
                if ((ticket & 1) != 0)
                {
                    self.TryFail(ticket, new OperationCanceledException(token));
                }
            }, this);
        }
    }

    public bool TrySucceed(int ticket, ResultCode code, long logIndex, long timestampNs)
    {
        if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket)
        {
            return false;
        }
        Finish(code, null, logIndex, timestampNs);
        return true;
    }

    public bool TryFail(int ticket, Exception error)
    {
        if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket)
        {
            return false;
        }
        Finish(default, error, 0, 0);
        return true;
    }

    private void Finish(ResultCode code, Exception? error, long logIndex, long timestampNs)
    {
        if (_mode != TransferCallMode.Task)
        {
            // Freed before the outcome is delivered, so a handler or continuation can submit the next transfer at once.
            _owner.OnPendingTransferDone();
        }
        if (_mode == TransferCallMode.Handler)
        {
            ITransferResultHandler handler = _handler!;
            long userToken = _userToken;
            _handler = null;
            _owner.ReturnCall(this); // nothing reads this use any more: the ticket is spent and the values are copied
            try
            {
                if (error is null)
                {
                    handler.OnTransferCompleted(userToken, code, logIndex, timestampNs);
                }
                else
                {
                    handler.OnTransferFailed(userToken, error);
                }
            }
#pragma warning disable CA1031 // a handler's bug must not stop the receive loop (and with it every other caller)
            catch (Exception e)
#pragma warning restore CA1031
            {
                _owner.OnHandlerFault(e);
            }
            return;
        }
        _logIndex = logIndex;
        _timestampNs = timestampNs;
        try
        {
            if (error is null)
            {
                _core.SetResult(code);
            }
            else
            {
                _core.SetException(error);
            }
        }
#pragma warning disable CA1031 // an inline continuation that throws (a custom awaiter) must not stop the batch or the receive loop
        catch (Exception e)
#pragma warning restore CA1031
        {
            _owner.OnHandlerFault(e);
        }
    }

    public ResultCode GetResult(short token)
    {
        CheckReadable(token);
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    /// <summary><see cref="WalletClient.TransferWithReceiptAsync"/>: the code with the answering command's receipt.</summary>
    Receipt<ResultCode> IValueTaskSource<Receipt<ResultCode>>.GetResult(short token)
    {
        CheckReadable(token);
        try
        {
            // The receipt fields were written before the result was published; read before the call is recycled.
            return new Receipt<ResultCode>(_core.GetResult(token), _logIndex, _timestampNs);
        }
        finally
        {
            Recycle();
        }
    }

    private void CheckReadable(short token)
    {
        if (token != _core.Version)
        {
            throw new InvalidOperationException("this transfer's ValueTask was already awaited (a ValueTask may be awaited once)");
        }
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            throw new InvalidOperationException("the transfer has not completed yet: await the ValueTask instead of reading its result");
        }
    }

    private void Recycle()
    {
        // Waits for a cancellation callback that is running right now; it found the ticket spent and did nothing.
        _cancellation.Dispose();
        _cancellation = default;
        _core.Reset(); // new version: a stale ValueTask now throws
        _owner.ReturnCall(this);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
