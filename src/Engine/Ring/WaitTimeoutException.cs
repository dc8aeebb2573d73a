namespace Wallet.Engine.Ring;

/// <summary>
/// Thrown by <see cref="TimeoutBlockingWaitStrategy"/> when nothing became available within its timeout.
/// <see cref="BatchEventProcessor{T, THandler}"/> catches it and calls <see cref="IEventHandler{T}.OnTimeout"/>.
/// A single cached instance so periodic timeouts do not allocate.
/// </summary>
public sealed class WaitTimeoutException : TimeoutException
{
    public static readonly WaitTimeoutException Instance = new();

    public WaitTimeoutException()
        : base("wait for sequence timed out")
    {
    }

    public WaitTimeoutException(string message)
        : base(message)
    {
    }

    public WaitTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
