using System.Diagnostics;
using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>
/// Single transfers: the Task API, the allocation-free ValueTask API and the callback API, all on one core — a pooled
/// <see cref="TransferCall"/> in the single-transfer queue, coalesced by the send loop into CreateTransfers batches
/// (themselves pooled), completed from the receive loop.
/// </summary>
public sealed partial class WalletClient
{
    /// <summary>Coalesced batches up to this many items (≈ 150 KiB of arrays) are pooled per in-flight slot; larger ones, at most <see cref="MaxPooledLargeBatches"/>.</summary>
    private const int LargeBatchItems = 1024;
    private const int MaxPooledLargeBatches = 8;
    private readonly ObjectStack<TransferCall> _calls;
    private readonly ObjectStack<CoalescedTransfersRequest> _batches;
    /// <summary>Batches grown past <see cref="LargeBatchItems"/>: kept apart, and only a few, so a burst of huge
    /// batches cannot leave every in-flight slot's worth of megabyte arrays pinned in the pool.</summary>
    private readonly ObjectStack<CoalescedTransfersRequest> _largeBatches;
    /// <summary>ValueTask and handler transfers submitted and not completed (the window).</summary>
    private int _pendingTransfers;
    private long _handlerFaults;
    private Exception? _lastHandlerFault;

    /// <summary>Transfers of <see cref="TransferAsync"/> and <see cref="TrySubmitTransfer"/> submitted and not yet completed.</summary>
    public int PendingTransfers => Volatile.Read(ref _pendingTransfers);

    /// <summary>
    /// Exceptions thrown by <see cref="ITransferResultHandler"/> methods, or by a continuation run inline on completion
    /// (<see cref="WalletClientOptions.CompletionsOnReceiveThread"/>): caught so the receive loop and the rest of the batch go on.
    /// </summary>
    public long HandlerFaultCount => Interlocked.Read(ref _handlerFaults);

    /// <summary>The latest exception counted by <see cref="HandlerFaultCount"/>, or null.</summary>
    public Exception? LastHandlerFault => Volatile.Read(ref _lastHandlerFault);

    /// <summary>
    /// Creates one transfer. Concurrent calls are coalesced into one CreateTransfers message (up to the
    /// session's batch size); each caller gets its own item's code. A <c>Linked</c> transfer is refused here
    /// because it would chain with a stranger's transfer — use <see cref="CreateTransfersAsync"/> for chains.
    /// Continuations always run asynchronously. For a garbage-free path see <see cref="TransferAsync"/>.
    /// </summary>
    public Task<ResultCode> CreateTransferAsync(in Transfer transfer, CancellationToken ct = default)
    {
        CheckNotLinked(in transfer);
        // Cancelled before the call: never sent (the direct path would otherwise write it before the token is seen).
        if (ct.IsCancellationRequested) return Task.FromCanceled<ResultCode>(ct);
        Connection? connection;
        DirectClaim direct;
        TransferCall call;
        lock (_gate)
        {
            Exception? unusable = UnusableReason();
            if (unusable is not null)
            {
                return Task.FromException<ResultCode>(unusable);
            }
            if (_singles.Count >= _options.MaxQueuedSingleTransfers)
            {
                return Task.FromException<ResultCode>(QueueFull());
            }
            call = Submit(in transfer, TransferCallMode.Task, null, 0, runContinuationsAsynchronously: true, out connection, out direct);
        }
        call.RegisterCancellation(ct);
        var pending = new ValueTask<ResultCode>(call, call.Version);
        SendOrSignal(connection, direct);
        return pending.AsTask();
    }

    /// <summary>
    /// Creates one transfer without allocating in steady state: the returned <see cref="ValueTask{TResult}"/> is backed
    /// by a pooled completion object, coalesced with concurrent callers like <see cref="CreateTransferAsync"/> and with
    /// the same outcomes (result code, or the same exceptions: timeout, connection lost, Busy exhausted, reject,
    /// disposal; cancellation through <paramref name="ct"/>).
    /// </summary>
    /// <remarks>
    /// Await the ValueTask exactly once (a second await, or reading it before completion, throws
    /// <see cref="InvalidOperationException"/>): the completion object is reused by a later call as soon as the result was read.
    /// At most <see cref="WalletClientOptions.MaxPendingTransfers"/> such transfers (with those of
    /// <see cref="TrySubmitTransfer"/>) may be pending; beyond it the ValueTask fails at once with
    /// <see cref="WalletQueueFullException"/> and nothing is sent. Where the continuation runs is set by
    /// <see cref="WalletClientOptions.CompletionsOnReceiveThread"/>. A cancellable <paramref name="ct"/> costs a
    /// registration in the runtime; <c>default</c> costs nothing.
    /// </remarks>
    public ValueTask<ResultCode> TransferAsync(in Transfer transfer, CancellationToken ct = default)
    {
        CheckNotLinked(in transfer);
        if (ct.IsCancellationRequested) return ValueTask.FromCanceled<ResultCode>(ct);
        TransferCall? call = SubmitPooled(in transfer, ct, out Exception? refused, out Connection? connection, out DirectClaim direct);
        if (call is null) return ValueTask.FromException<ResultCode>(refused!);
        var pending = new ValueTask<ResultCode>(call, call.Version);
        SendOrSignal(connection, direct);
        return pending;
    }

    /// <summary>
    /// <see cref="TransferAsync"/> with the receipt of the command that answered: its log index and ledger timestamp (a
    /// coalesced message's transfers share one command, hence one receipt). The same pooled, allocation-free machinery,
    /// outcomes and rules (await once; bounded by <see cref="WalletClientOptions.MaxPendingTransfers"/>).
    /// </summary>
    public ValueTask<Receipt<ResultCode>> TransferWithReceiptAsync(in Transfer transfer, CancellationToken ct = default)
    {
        CheckNotLinked(in transfer);
        if (ct.IsCancellationRequested) return ValueTask.FromCanceled<Receipt<ResultCode>>(ct);
        TransferCall? call = SubmitPooled(in transfer, ct, out Exception? refused, out Connection? connection, out DirectClaim direct);
        if (call is null) return ValueTask.FromException<Receipt<ResultCode>>(refused!);
        var pending = new ValueTask<Receipt<ResultCode>>(call, call.Version);
        SendOrSignal(connection, direct);
        return pending;
    }

    /// <summary>The value-task forms' submission: a pooled call (its cancellation registered), or null and why not.</summary>
    private TransferCall? SubmitPooled(in Transfer transfer, CancellationToken ct, out Exception? refused, out Connection? connection, out DirectClaim direct)
    {
        TransferCall call;
        lock (_gate)
        {
            TransferSubmitStatus status = Admit();
            if (status != TransferSubmitStatus.Submitted)
            {
                refused = RefusalError(status);
                connection = null;
                direct = default;
                return null;
            }
            call = Submit(in transfer, TransferCallMode.ValueTask, null, 0, !_options.CompletionsOnReceiveThread, out connection, out direct);
        }
        call.RegisterCancellation(ct);
        refused = null;
        return call;
    }

    /// <summary>
    /// Submits one transfer whose outcome is delivered to <paramref name="handler"/> (with <paramref name="userToken"/>)
    /// instead of a task: the lowest-overhead form, allocation-free and without a thread hop — the handler runs on the
    /// connection's receive loop and must not block (see <see cref="ITransferResultHandler"/>). Never throws for a full
    /// window or an unusable client: the status says why nothing was submitted, and then the handler is not called.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="handler"/> is null.</exception>
    /// <exception cref="ArgumentException">The transfer is <c>Linked</c> (send chains with <see cref="CreateTransfersAsync"/>).</exception>
    public TransferSubmitStatus TrySubmitTransfer(in Transfer transfer, ITransferResultHandler handler, long userToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CheckNotLinked(in transfer);
        Connection? connection;
        DirectClaim direct;
        lock (_gate)
        {
            TransferSubmitStatus refused = Admit();
            if (refused != TransferSubmitStatus.Submitted)
            {
                return refused;
            }
            Submit(in transfer, TransferCallMode.Handler, handler, userToken, runContinuationsAsynchronously: false, out connection, out direct);
        }
        SendOrSignal(connection, direct);
        return TransferSubmitStatus.Submitted;
    }

    private static void CheckNotLinked(in Transfer transfer)
    {
        if ((transfer.Flags & TransferFlags.Linked) != 0)
        {
            throw new ArgumentException("a Linked transfer must be sent with its chain via CreateTransfersAsync", nameof(transfer));
        }
    }

    /// <summary>Under the lock: may one more windowed transfer be queued?</summary>
    private TransferSubmitStatus Admit()
    {
        if (_disposed)
        {
            return TransferSubmitStatus.Disposed;
        }
        if (_fatal is not null)
        {
            return TransferSubmitStatus.ConnectionFailed;
        }
        if (Volatile.Read(ref _pendingTransfers) >= _options.MaxPendingTransfers)
        {
            return TransferSubmitStatus.WindowFull;
        }
        return _singles.Count >= _options.MaxQueuedSingleTransfers ? TransferSubmitStatus.QueueFull : TransferSubmitStatus.Submitted;
    }

    /// <summary>Under the lock (only for a refusal, so allocating the exception is fine).</summary>
    private Exception RefusalError(TransferSubmitStatus status) => status switch
    {
        TransferSubmitStatus.WindowFull => new WalletQueueFullException(
            $"{Volatile.Read(ref _pendingTransfers)} transfers already pending (MaxPendingTransfers {_options.MaxPendingTransfers})"),
        TransferSubmitStatus.QueueFull => QueueFull(),
        _ => UnusableReason()!,
    };

    private WalletQueueFullException QueueFull() =>
        new($"{_singles.Count} single transfers already queued (MaxQueuedSingleTransfers)");

    /// <summary>
    /// Under the lock: arms a pooled call and either claims the direct path for it (<paramref name="direct"/> is then set:
    /// the call is in flight and the caller writes its frame after leaving the lock) or queues it for the send loop.
    /// </summary>
    private TransferCall Submit(in Transfer transfer, TransferCallMode mode, ITransferResultHandler? handler, long userToken,
        bool runContinuationsAsynchronously, out Connection? connection, out DirectClaim direct)
    {
        if (!_calls.TryPop(out TransferCall? call))
        {
            call = new TransferCall(this);
        }
        long deadline = Stopwatch.GetTimestamp() + _options.RequestTimeoutMs * Stopwatch.Frequency / 1000;
        int ticket = call!.Arm(in transfer, deadline, mode, handler, userToken, runContinuationsAsynchronously);
        if (mode != TransferCallMode.Task)
        {
            Interlocked.Increment(ref _pendingTransfers);
        }
        var queued = new QueuedTransfer(call, ticket);
        connection = _connection;
        direct = TryClaimDirect(connection, queued);
        if (direct.Batch is null)
        {
            _singles.Enqueue(queued);
        }
        return call;
    }

    internal void OnPendingTransferDone() => Interlocked.Decrement(ref _pendingTransfers);

    internal void ReturnCall(TransferCall call) => _calls.Push(call);

    internal void OnHandlerFault(Exception error)
    {
        Interlocked.Increment(ref _handlerFaults);
        Volatile.Write(ref _lastHandlerFault, error);
        if (_options.OnHandlerFault is not { } report) return;
        try
        {
            report(error);
        }
#pragma warning disable CA1031 // the application's own callback: whatever it throws, the receive loop must go on
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Under the lock: an empty batch for up to <paramref name="capacity"/> single transfers.</summary>
    private CoalescedTransfersRequest RentBatch(int capacity)
    {
        CoalescedTransfersRequest? batch;
        bool found = capacity > LargeBatchItems
            ? _largeBatches.TryPop(out batch) || _batches.TryPop(out batch)
            : _batches.TryPop(out batch);
        if (!found)
        {
            batch = new CoalescedTransfersRequest();
        }
        batch!.Begin(capacity);
        return batch;
    }

    /// <summary>Only by the one owner of an answered (or never sent) batch: nothing else refers to it any more.</summary>
    private void ReturnBatch(CoalescedTransfersRequest batch)
    {
        batch.Clear();
        (batch.Capacity > LargeBatchItems ? _largeBatches : _batches).Push(batch);
    }
}
