namespace Wallet.Engine.Ring;

/// <summary>
/// Consumer callbacks driven by <see cref="BatchEventProcessor{T, THandler}"/> on its thread. Every member is required
/// (no default interface methods): calling a default method on a struct handler boxes a copy, which would allocate
/// and silently lose state. Write empty bodies for hooks you do not need.
/// </summary>
public interface IEventHandler<T>
    where T : struct
{
    /// <summary>
    /// One event. <paramref name="data"/> refers to the slot itself and is valid only during the call.
    /// <paramref name="endOfBatch"/> is true on the last event currently available: flush/commit points go there.
    /// </summary>
    void OnEvent(ref T data, long sequence, bool endOfBatch);

    /// <summary>Before each batch, with the number of events it will deliver (&gt;= 1).</summary>
    void OnBatchStart(long batchSize);

    /// <summary>On the processor thread before the first event.</summary>
    void OnStart();

    /// <summary>On the processor thread after the last event (also after a fatal exception).</summary>
    void OnShutdown();

    /// <summary>The wait strategy timed out while idle; <paramref name="sequence"/> is the last processed sequence.</summary>
    void OnTimeout(long sequence);
}
