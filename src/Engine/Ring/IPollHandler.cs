namespace Wallet.Engine.Ring;

/// <summary>Callback for <see cref="EventPoller{T}"/>; return false to stop the current poll after this event.</summary>
public interface IPollHandler<T>
    where T : struct
{
    bool OnEvent(ref T data, long sequence, bool endOfBatch);
}
