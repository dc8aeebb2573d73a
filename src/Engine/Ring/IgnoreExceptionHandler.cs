namespace Wallet.Engine.Ring;

/// <summary>
/// Log-and-continue policy: reports the failure to an optional callback and skips the event.
/// Only for consumers whose events are disposable (metrics, diagnostics); never for state-changing consumers.
/// </summary>
public sealed class IgnoreExceptionHandler<T> : IExceptionHandler<T>
    where T : struct
{
    private readonly Action<Exception, long>? _log;
    private long _ignoredCount;

    public IgnoreExceptionHandler(Action<Exception, long>? log = null)
    {
        _log = log;
    }

    /// <summary>Events skipped so far.</summary>
    public long IgnoredCount => Volatile.Read(ref _ignoredCount);

    public void HandleEventException(Exception exception, long sequence, ref T data)
    {
        Interlocked.Increment(ref _ignoredCount);
        _log?.Invoke(exception, sequence);
    }
}
