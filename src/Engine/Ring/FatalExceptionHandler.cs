namespace Wallet.Engine.Ring;

/// <summary>
/// The default policy: never skip an event. Throws <see cref="FatalEventException"/> (inner = the handler's exception),
/// which stops the processor at the failing sequence. Required for the ledger: a skipped event is a lost transfer.
/// </summary>
public sealed class FatalExceptionHandler<T> : IExceptionHandler<T>
    where T : struct
{
    public static readonly FatalExceptionHandler<T> Instance = new();

    public void HandleEventException(Exception exception, long sequence, ref T data) =>
        throw new FatalEventException(sequence, exception);
}
