namespace Wallet.Engine.Ring;

/// <summary>
/// Runs an <see cref="IEventProcessor"/> on a dedicated background thread and records how it ended, so callers can
/// wait with a limit and surface a fatal exception. Background: a wedged processor never keeps the process alive.
/// </summary>
public sealed class ProcessorThread
{
    private readonly Thread _thread;
    private Exception? _fault;

    private ProcessorThread(IEventProcessor processor, string name)
    {
        Processor = processor;
        _thread = new Thread(Body) { IsBackground = true, Name = name };
    }

    public IEventProcessor Processor { get; }

    /// <summary>The exception that ended Run, if any (e.g. <see cref="FatalEventException"/>). Valid after a successful Join.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    public bool IsAlive => _thread.IsAlive;

    /// <summary>Starts <paramref name="processor"/>.Run on a new thread named <paramref name="name"/>.</summary>
    public static ProcessorThread Start(IEventProcessor processor, string name)
    {
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ProcessorThread started = new(processor, name);
        started._thread.Start();
        return started;
    }

    /// <summary>Waits up to <paramref name="timeout"/> for Run to return; false if it is still running.</summary>
    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    /// <summary>Halts the processor and waits up to <paramref name="timeout"/> for it to drain and return.</summary>
    public bool HaltAndJoin(TimeSpan timeout)
    {
        Processor.Halt();
        return _thread.Join(timeout);
    }

    private void Body()
    {
        try
        {
            Processor.Run();
        }
#pragma warning disable CA1031 // The thread's whole job is to capture whatever ended Run and hand it to the joiner.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _fault, exception);
        }
    }
}
