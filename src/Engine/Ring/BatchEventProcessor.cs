namespace Wallet.Engine.Ring;

/// <summary>
/// Drives one <typeparamref name="THandler"/> over a ring: waits on its barrier, hands each available batch to the
/// handler (OnBatchStart, then OnEvent per slot with endOfBatch on the last), then publishes its own
/// <see cref="Sequence"/> once per batch with a release store. Generic over the handler so a struct handler is called
/// directly (no interface dispatch, inlinable); the handler lives in a field and is never copied per call.
/// </summary>
/// <remarks>
/// Halt: after <see cref="Halt"/> returns, every event that was available to this processor at that moment
/// (published, and processed by all of its dependents) is handled before <see cref="Run"/> returns; events that become
/// available later may or may not be handled. Halt does not wait — join the thread (<see cref="ProcessorThread"/>).
/// To stop a graph without losing events: stop the producers, then halt and join processors in dependency order.
/// Exceptions: see <see cref="IExceptionHandler{T}"/>; the default is <see cref="FatalExceptionHandler{T}"/>.
/// </remarks>
public sealed class BatchEventProcessor<T, THandler> : IEventProcessor
    where T : struct
    where THandler : IEventHandler<T>
{
    private const int Idle = 0;
    private const int Running = 1;
    private const int Halting = 2;

    private readonly RingBuffer<T> _ring;
    private readonly SequenceBarrier _barrier;
    private readonly IExceptionHandler<T> _exceptionHandler;
    private readonly Sequence _sequence = new();
    private readonly long _maxBatchSize;

    // Not readonly: a struct handler must be mutated in place, and calls on a readonly field would copy it.
    private THandler _handler;
    private int _state;

    /// <param name="ring">The ring whose slots are read.</param>
    /// <param name="barrier">This processor's own barrier (from <see cref="RingBuffer{T}.NewBarrier"/> or <see cref="SequenceBarrier.ForSequence"/>).</param>
    /// <param name="handler">The consumer logic.</param>
    /// <param name="exceptionHandler">Failure policy; null means <see cref="FatalExceptionHandler{T}"/>.</param>
    /// <param name="maxBatchSize">Largest batch handed over at once (limits latency of endOfBatch); default: the ring size.</param>
    public BatchEventProcessor(
        RingBuffer<T> ring,
        SequenceBarrier barrier,
        THandler handler,
        IExceptionHandler<T>? exceptionHandler = null,
        int maxBatchSize = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(ring);
        ArgumentNullException.ThrowIfNull(barrier);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        _ring = ring;
        _barrier = barrier;
        _handler = handler;
        _exceptionHandler = exceptionHandler ?? FatalExceptionHandler<T>.Instance;
        _maxBatchSize = Math.Min(maxBatchSize, ring.BufferSize);
    }

    public Sequence Sequence => _sequence;

    /// <summary>True from the start of <see cref="Run"/> (or a pre-start <see cref="Halt"/>) until Run returns.</summary>
    public bool IsRunning => Volatile.Read(ref _state) != Idle;

    public int MaxBatchSize => (int)_maxBatchSize;

    /// <summary>The handler instance held by the processor (for struct handlers: the live copy). Read it after Run returns.</summary>
    public ref THandler Handler => ref _handler;

    public void Halt()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Halting)
            {
                break;
            }
            // From Idle too: a halt that races ahead of Run makes Run drain and return instead of being lost.
            if (Interlocked.CompareExchange(ref _state, Halting, state) == state)
            {
                break;
            }
        }
        _barrier.Alert();
    }

    public void Run()
    {
        // Clear first, then claim the state: a Halt that lands after the CAS alerts after this clear, so it is not lost.
        _barrier.ClearAlert();
        int prior = Interlocked.CompareExchange(ref _state, Running, Idle);
        if (prior == Running)
        {
            throw new InvalidOperationException("processor is already running");
        }

        try
        {
            _handler.OnStart();
            try
            {
                long next = _sequence.Value + 1;
                if (prior == Idle)
                {
                    next = ProcessUntilHalted(next);
                }
                Drain(next);
            }
            finally
            {
                _handler.OnShutdown();
            }
        }
        finally
        {
            Volatile.Write(ref _state, Idle);
        }
    }

    private long ProcessUntilHalted(long next)
    {
        while (true)
        {
            long available;
            try
            {
                available = _barrier.WaitFor(next);
            }
            catch (WaitTimeoutException)
            {
                _handler.OnTimeout(_sequence.Value);
                continue;
            }
            catch (AlertException)
            {
                if (Volatile.Read(ref _state) == Halting)
                {
                    return next;
                }
                // Someone alerted our barrier without halting us: not our stop signal. Back off and keep waiting.
                _barrier.ClearAlert();
                if (Volatile.Read(ref _state) == Halting)
                {
                    return next;
                }
                continue;
            }

            long last = Math.Min(available, next + _maxBatchSize - 1);
            next = ProcessBatch(next, last);
        }
    }

    private void Drain(long next)
    {
        long available = _barrier.GetAvailableNow(next);
        while (next <= available)
        {
            next = ProcessBatch(next, Math.Min(available, next + _maxBatchSize - 1));
        }
    }

    /// <summary>Handles [first, last]; returns the next sequence to process.</summary>
    private long ProcessBatch(long first, long last)
    {
        RingBuffer<T> ring = _ring; // local: lets the JIT keep it in a register across handler calls
        long sequence = first;
        try
        {
            _handler.OnBatchStart(last - first + 1);
            while (sequence <= last)
            {
                _handler.OnEvent(ref ring[sequence], sequence, sequence == last);
                sequence++;
            }
            // One release store per batch: downstream sees every slot write of the batch.
            _sequence.SetValue(last);
            return last + 1;
        }
        catch (Exception exception) when (exception is not FatalEventException)
        {
            // Events before the failing one are done; the failing one is not (yet).
            _sequence.SetValue(sequence - 1);
            _exceptionHandler.HandleEventException(exception, sequence, ref _ring[sequence]);
            // Policy returned: the event counts as consumed (skipped).
            _sequence.SetValue(sequence);
            return sequence + 1;
        }
    }
}
