namespace Wallet.Engine.Ring;

/// <summary>
/// Claims and publishes slots of a ring of <see cref="BufferSize"/> entries. Producers are gated by the slowest
/// gating sequence and never overwrite a slot that a gating consumer has not yet consumed.
/// </summary>
public interface ISequencer
{
    /// <summary>Number of slots; a power of two.</summary>
    int BufferSize { get; }

    /// <summary>
    /// Single producer: the highest published sequence. Multi producer: the highest <em>claimed</em> sequence
    /// (use <see cref="IsAvailable"/> / <see cref="GetHighestPublishedSequence"/> to learn what is published).
    /// </summary>
    long Cursor { get; }

    /// <summary>Claims the next slot, waiting (spin, then yield, then sleep) while the ring is full.</summary>
    long Next();

    /// <summary>Claims <paramref name="n"/> consecutive slots and returns the highest; the lowest is result - n + 1.</summary>
    long Next(int n);

    /// <summary>Claims the next slot if one is free right now; false means the ring is full (backpressure).</summary>
    bool TryNext(out long sequence);

    /// <summary>Claims <paramref name="n"/> slots if all are free right now; <paramref name="sequence"/> is the highest.</summary>
    bool TryNext(int n, out long sequence);

    /// <summary>Makes a claimed slot visible to consumers (release store) and wakes blocked consumers.</summary>
    void Publish(long sequence);

    /// <summary>Makes the claimed range [lo, hi] visible to consumers.</summary>
    void Publish(long lo, long hi);

    /// <summary>True if <paramref name="sequence"/> is published and still in the ring (not yet overwritten by a later lap).</summary>
    bool IsAvailable(long sequence);

    /// <summary>
    /// Highest sequence in [lo, available] such that every sequence from lo up to it is published; lo - 1 if lo is not.
    /// </summary>
    long GetHighestPublishedSequence(long lo, long available);

    /// <summary>Adds consumer sequences the producer must not overtake. Each is first moved to the current cursor.</summary>
    void AddGatingSequences(params Sequence[] gatingSequences);

    /// <summary>Removes a gating sequence; returns false if it was not registered.</summary>
    bool RemoveGatingSequence(Sequence sequence);

    /// <summary>Slots that can be claimed right now without waiting.</summary>
    long RemainingCapacity();

    /// <summary>A barrier that waits for this sequencer's published sequences and for every one of <paramref name="dependents"/>.</summary>
    SequenceBarrier NewBarrier(params Sequence[] dependents);
}
