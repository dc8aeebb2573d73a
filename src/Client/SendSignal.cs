namespace Wallet.Client;

/// <summary>
/// Auto-reset wake-up for the send loop: any number of Set calls between two waits collapse into one wake-up,
/// so producers never block and the semaphore count never exceeds one.
/// </summary>
internal sealed class SendSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);
    private int _set;

    public void Set()
    {
        if (Interlocked.Exchange(ref _set, 1) == 0)
        {
            try
            {
                _semaphore.Release();
            }
            catch (ObjectDisposedException)
            {
                // The connection is gone; its replacement gets its own signal.
            }
        }
    }

    /// <summary>Waits for a Set or the timeout; returns whether it was signalled.</summary>
    public async ValueTask<bool> WaitAsync(int timeoutMs, CancellationToken ct)
    {
        bool signalled = await _semaphore.WaitAsync(timeoutMs, ct).ConfigureAwait(false);
        if (signalled)
        {
            Volatile.Write(ref _set, 0);
        }
        return signalled;
    }

    public void Dispose() => _semaphore.Dispose();
}
