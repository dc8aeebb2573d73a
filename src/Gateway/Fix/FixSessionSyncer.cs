using System.Threading.Tasks.Sources;

namespace Wallet.Gateway.Fix;

/// <summary>
/// The FIX session writer's group-commit sync (<c>Fix:Fsync=batch</c>) on a thread of its own. Why: an fdatasync
/// takes 1–2 ms on this class of disk, and run inline it blocked a thread-pool worker for that long before every
/// socket write — with a few busy partners on 2 cores, the workers that every SBE and HTTP session's I/O completions
/// need. Here the writer hands the sync over and awaits a pooled value task; the pool thread is free meanwhile.
/// One thread per logged-on FIX session (sessions are bounded by <c>Gateway:MaxSessions</c>; partners are few), so
/// partners still sync in parallel. One sync at a time per session (the writer awaits each); steady state allocates
/// nothing. The thread is started on the first sync and stopped by <see cref="Dispose"/>.
/// </summary>
internal sealed class FixSessionSyncer : IValueTaskSource<bool>, IDisposable
{
    private readonly Func<bool> _sync;
    private readonly string _threadName;
    private readonly ManualResetEventSlim _requested = new(false, spinCount: 0);
    private ManualResetValueTaskSourceCore<bool> _core;
    private Thread? _thread;
    private int _busy;
    private volatile bool _disposed;

    /// <param name="sync">Runs on the syncer's thread: true = the bytes may go out, false = drop them and abort.</param>
    /// <param name="threadName">For thread dumps and tests (e.g. "fix-sync-17").</param>
    public FixSessionSyncer(Func<bool> sync, string threadName)
    {
        _sync = sync;
        _threadName = threadName;
        _core.RunContinuationsAsynchronously = true; // the writer's continuation never runs on the sync thread
    }

    /// <summary>Requests one sync and returns when it has run (false also after <see cref="Dispose"/>).</summary>
    public ValueTask<bool> SyncAsync()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0) throw new InvalidOperationException("one sync at a time per session");
        if (_disposed)
        {
            Volatile.Write(ref _busy, 0);
            return ValueTask.FromResult(false);
        }
        if (_thread is null)
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = _threadName };
            _thread.Start();
        }
        _requested.Set();
        return new ValueTask<bool>(this, _core.Version);
    }

    private void Loop()
    {
        while (true)
        {
            _requested.Wait();
            _requested.Reset();
            if (_disposed)
            {
                if (Volatile.Read(ref _busy) != 0) _core.SetResult(false);
                return;
            }
            bool ok;
            try
            {
                ok = _sync();
            }
#pragma warning disable CA1031 // whatever the sync threw, the writer must hear "do not send" rather than hang
            catch (Exception)
#pragma warning restore CA1031
            {
                ok = false;
            }
            _core.SetResult(ok);
        }
    }

    public bool GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Volatile.Write(ref _busy, 0);
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Stops the thread after the sync in progress, if any (a waiting writer then hears false).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _requested.Set();
        _thread?.Join(TimeSpan.FromSeconds(10));
    }
}
