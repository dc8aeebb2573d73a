using System.Diagnostics;

namespace Wallet.Client;

/// <summary>
/// Base of the requests that complete one caller: the request object is the TaskCompletionSource itself, so a
/// call allocates the Task, this object, and its result — nothing else (no per-request buffers).
/// </summary>
internal abstract class PendingRequest<T> : TaskCompletionSource<T>, IPendingRequest
{
    private CancellationTokenRegistration _cancellation;

    protected PendingRequest(RequestKind kind, int itemCount, int frameBytes, int timeoutMs)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Kind = kind;
        ItemCount = itemCount;
        FrameBytes = frameBytes;
        DeadlineTimestamp = Stopwatch.GetTimestamp() + timeoutMs * Stopwatch.Frequency / 1000;
    }

    public RequestKind Kind { get; }
    public int FrameBytes { get; }
    public int ItemCount { get; }
    public long DeadlineTimestamp { get; }
    public ulong CorrelationId { get; set; }
    public int BusyAttempts { get; set; }
    public bool Resubmitted { get; set; }
    public bool IsFinished => Task.IsCompleted;

    /// <summary>The answer header's log index (set by <see cref="Complete"/> before the caller is released).</summary>
    public long AnswerLogIndex { get; protected set; }

    /// <summary>The answer header's ledger timestamp in ns, when the answer carries one (CreateResults); else 0.</summary>
    public long AnswerTimestampNs { get; protected set; }

    public abstract int Encode(Span<byte> frame, ulong correlationId);
    public abstract void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk);

    /// <summary>Cancels the caller's wait; the request is dropped lazily (skipped when sending, ignored on answer).</summary>
    public void RegisterCancellation(CancellationToken ct)
    {
        if (ct.CanBeCanceled)
        {
            _cancellation = ct.UnsafeRegister(static (s, token) => ((PendingRequest<T>)s!).Cancel(token), this);
        }
    }

    private void Cancel(CancellationToken token)
    {
        if (TrySetCanceled(token))
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

    protected void Succeed(T result)
    {
        if (TrySetResult(result))
        {
            _cancellation.Dispose();
        }
    }

    protected static WalletProtocolException Unexpected(ushort templateId, RequestKind kind) =>
        new($"answer template {templateId} does not match a {kind} request");
}
