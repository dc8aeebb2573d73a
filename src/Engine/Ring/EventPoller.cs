namespace Wallet.Engine.Ring;

/// <summary>
/// Pull-mode consumer: a thread that multiplexes several sources (e.g. a gateway I/O loop) calls <see cref="Poll{THandler}(ref THandler)"/>
/// when it wants events instead of dedicating a thread to a <see cref="BatchEventProcessor{T, THandler}"/>. Never waits.
/// Add <see cref="Sequence"/> to the ring's gating sequences (before producing) so the producer cannot lap the poller.
/// Not thread-safe: one polling thread per poller.
/// </summary>
public sealed class EventPoller<T>
    where T : struct
{
    private readonly RingBuffer<T> _ring;
    private readonly Sequence[] _dependents;
    private readonly Sequence _sequence = new();

    internal EventPoller(RingBuffer<T> ring, Sequence[] dependents)
    {
        _ring = ring;
        foreach (Sequence d in dependents)
        {
            ArgumentNullException.ThrowIfNull(d, nameof(dependents));
        }
        _dependents = dependents.Length == 0 ? [ring.Sequencer.CursorSequence] : (Sequence[])dependents.Clone();
    }

    /// <summary>Highest sequence this poller has consumed (release-stored after each poll).</summary>
    public Sequence Sequence => _sequence;

    /// <summary>
    /// Hands every currently available event (contiguous, published, and passed by all dependents) to
    /// <paramref name="handler"/> until it returns false. The sequence advances past every event the handler saw,
    /// including the one that returned false, even if the handler throws on a later event (the throwing one is not consumed).
    /// </summary>
    public PollState Poll<THandler>(ref THandler handler)
        where THandler : IPollHandler<T>
    {
        long current = _sequence.Value;
        long next = current + 1;
        long available = _ring.Sequencer.GetHighestPublishedSequence(next, Sequences.Minimum(_dependents));
        if (next <= available)
        {
            long processed = current;
            try
            {
                bool more;
                do
                {
                    more = handler.OnEvent(ref _ring[next], next, next == available);
                    processed = next;
                    next++;
                }
                while (more && next <= available);
            }
            finally
            {
                _sequence.SetValue(processed);
            }
            return PollState.Processing;
        }

        return _ring.Sequencer.Cursor >= next ? PollState.Gating : PollState.Idle;
    }

    /// <summary>Convenience overload for class handlers.</summary>
    public PollState Poll(IPollHandler<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Poll(ref handler);
    }
}
