using System.Threading.Tasks.Sources;

namespace Wallet.Client;

/// <summary>
/// Auto-reset wake-up for the send loop: any number of Set calls between two waits collapse into one wake-up,
/// so producers never block. One waiter at a time (the connection's send loop).
/// Allocation-free per wait: a reusable value-task source, one timer re-armed per wait and one cancellation
/// registration per token (SemaphoreSlim.WaitAsync with a timeout allocated a node, a timer promise and two state
/// machines on every wake-up, once per coalesced batch).
/// </summary>
internal sealed class SendSignal : IValueTaskSource<bool>, IDisposable
{
    private const int Idle = 0, Signalled = 1, Waiting = 2;

    // Asynchronous continuations: Set runs on callers' threads (CreateTransferAsync, the receive loop), which must
    // never end up running the send loop and its socket writes inline.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private readonly Timer _timer;
    private CancellationToken _registeredToken;
    private CancellationTokenRegistration _registration;
    private int _state;

    public SendSignal()
    {
        _timer = new Timer(static s => ((SendSignal)s!).Complete(false), this, Timeout.Infinite, Timeout.Infinite);
    }

    public void Set()
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if (s == Signalled)
            {
                return;
            }
            if (s == Idle)
            {
                if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                {
                    return;
                }
            }
            else if (Complete(true))
            {
                return;
            }
        }
    }

    /// <summary>True when signalled, false when <paramref name="timeoutMs"/> passed (or, rarely, a stale timer fired: callers re-check their work either way).</summary>
    public ValueTask<bool> WaitAsync(int timeoutMs, CancellationToken ct)
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
        {
            return new ValueTask<bool>(true);
        }
        ct.ThrowIfCancellationRequested();
        if (ct != _registeredToken)
        {
            // The send loop passes the same token every time: register once, not per wait.
            _registration.Dispose();
            _registeredToken = ct;
            _registration = ct.UnsafeRegister(static (s, token) => ((SendSignal)s!).Cancel(token), this);
        }
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Signalled)
        {
            // Set() raced in between: consume it instead of waiting.
            Volatile.Write(ref _state, Idle);
            return new ValueTask<bool>(true);
        }
        _timer.Change(timeoutMs, Timeout.Infinite);
        if (ct.IsCancellationRequested)
        {
            Cancel(ct); // cancelled before we were Waiting: the registration found nobody to wake
        }
        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Completes the pending wait, if any; exactly one of Set, the timer or cancellation wins.</summary>
    private bool Complete(bool signalled)
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) != Waiting)
        {
            return false;
        }
        _core.SetResult(signalled);
        return true;
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
        {
            _core.SetException(new OperationCanceledException(token));
        }
    }

    public bool GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void Dispose()
    {
        _registration.Dispose();
        _timer.Dispose();
    }
}
