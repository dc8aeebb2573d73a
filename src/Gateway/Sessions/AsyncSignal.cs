using System.Threading.Tasks.Sources;

namespace Wallet.Gateway.Sessions;

/// <summary>
/// Auto-reset wake-up for exactly one async waiter (a session's writer loop), allocation-free: producers on any
/// thread call <see cref="Set"/>; signals coalesce. Continuations never run on the producer (the partition's egress
/// thread must not end up doing socket I/O).
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0, Signalled = 1, Waiting = 2;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled) return default;
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Signalled)
        {
            // Set() raced in between: consume it instead of waiting.
            Volatile.Write(ref _state, Idle);
            return default;
        }
        return new ValueTask(this, _core.Version);
    }

    public void Set()
    {
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if (s == Signalled) return;
            if (s == Idle)
            {
                if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle) return;
            }
            else if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                _core.SetResult(true);
                return;
            }
        }
    }

    public void GetResult(short token) => _core.GetResult(token);
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
