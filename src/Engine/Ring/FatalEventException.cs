namespace Wallet.Engine.Ring;

/// <summary>An event handler failed and the policy was fatal; <see cref="Sequence"/> is the event that was not consumed.</summary>
public sealed class FatalEventException : Exception
{
    public FatalEventException()
    {
    }

    public FatalEventException(string message)
        : base(message)
    {
    }

    public FatalEventException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FatalEventException(long sequence, Exception innerException)
        : base($"event handler failed at sequence {sequence}; processor stopped without consuming it", innerException)
    {
        Sequence = sequence;
    }

    public long Sequence { get; }
}
