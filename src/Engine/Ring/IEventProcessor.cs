namespace Wallet.Engine.Ring;

/// <summary>A consumer loop that runs on one thread and exposes its progress as a <see cref="Sequence"/>.</summary>
public interface IEventProcessor
{
    /// <summary>Highest sequence fully processed; downstream consumers and producers gate on it.</summary>
    Sequence Sequence { get; }

    bool IsRunning { get; }

    /// <summary>Runs the loop on the calling thread until halted (or a fatal exception propagates).</summary>
    void Run();

    /// <summary>Requests a stop; see the implementation for exactly what is drained first.</summary>
    void Halt();
}
