namespace Wallet.Engine.Ring;

/// <summary>
/// Policy for an exception thrown by an event handler. If <see cref="HandleEventException"/> returns, the processor
/// treats the event as consumed and continues with the next one. If it throws, the processor stops: its sequence stays
/// at <c>sequence - 1</c>, the handler's OnShutdown runs, and the exception propagates out of Run.
/// </summary>
public interface IExceptionHandler<T>
    where T : struct
{
    void HandleEventException(Exception exception, long sequence, ref T data);
}
