namespace Wallet.Engine.Ring;

/// <summary>
/// Thrown out of a wait when its <see cref="SequenceBarrier"/> is alerted (a halt request).
/// A single cached instance: alerts are control flow and must not allocate.
/// </summary>
public sealed class AlertException : Exception
{
    public static readonly AlertException Instance = new();

    public AlertException()
        : base("sequence barrier alerted")
    {
    }

    public AlertException(string message)
        : base(message)
    {
    }

    public AlertException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
