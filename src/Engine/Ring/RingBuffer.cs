using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Ring;

/// <summary>
/// A preallocated ring of <typeparamref name="T"/> slots plus the <see cref="Sequencer"/> that hands them out.
/// Producers: <c>long s = ring.Next(); ref T e = ref ring[s]; ... ring.Publish(s);</c>. Slots are reused every lap and
/// never reallocated, so a slot may own preallocated buffers (see the initialiser overloads).
/// </summary>
public sealed class RingBuffer<T>
    where T : struct
{
    /// <summary>Slots of padding before and after the live entries (at least 128 bytes) to keep neighbours' writes off our lines.</summary>
    private static readonly int PadSlots = Math.Max(1, (128 + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>());

    private readonly T[] _entries;
    private readonly long _indexMask;
    private readonly Sequencer _sequencer;

    /// <param name="sequencer">Owns claiming and publishing; its buffer size sets the ring size.</param>
    /// <param name="slotInitialiser">Called once per slot index at construction (e.g. to preallocate a byte[] per slot); null leaves default(T).</param>
    public RingBuffer(Sequencer sequencer, Func<long, T>? slotInitialiser = null)
    {
        ArgumentNullException.ThrowIfNull(sequencer);
        _sequencer = sequencer;
        _indexMask = sequencer.BufferSize - 1;
        _entries = new T[sequencer.BufferSize + (2 * PadSlots)];
        if (slotInitialiser is not null)
        {
            for (long i = 0; i < sequencer.BufferSize; i++)
            {
                _entries[PadSlots + i] = slotInitialiser(i);
            }
        }
    }

    public static RingBuffer<T> CreateSingleProducer(int bufferSize, IWaitStrategy waitStrategy) =>
        new(new SingleProducerSequencer(bufferSize, waitStrategy));

    public static RingBuffer<T> CreateSingleProducer(int bufferSize, IWaitStrategy waitStrategy, Func<long, T> slotInitialiser) =>
        new(new SingleProducerSequencer(bufferSize, waitStrategy), slotInitialiser ?? throw new ArgumentNullException(nameof(slotInitialiser)));

    public static RingBuffer<T> CreateMultiProducer(int bufferSize, IWaitStrategy waitStrategy) =>
        new(new MultiProducerSequencer(bufferSize, waitStrategy));

    public static RingBuffer<T> CreateMultiProducer(int bufferSize, IWaitStrategy waitStrategy, Func<long, T> slotInitialiser) =>
        new(new MultiProducerSequencer(bufferSize, waitStrategy), slotInitialiser ?? throw new ArgumentNullException(nameof(slotInitialiser)));

    /// <summary>
    /// The slot for <paramref name="sequence"/> (index = sequence AND (size - 1); no other bounds check). Valid to write
    /// between claim and publish by the claiming producer, and to read by a consumer for sequences its barrier returned.
    /// </summary>
    public ref T this[long sequence]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), (nint)(PadSlots + (sequence & _indexMask)));
    }

    public Sequencer Sequencer => _sequencer;

    public int BufferSize => _sequencer.BufferSize;

    /// <inheritdoc cref="ISequencer.Cursor"/>
    public long Cursor => _sequencer.Cursor;

    public IWaitStrategy WaitStrategy => _sequencer.WaitStrategy;

    /// <inheritdoc cref="ISequencer.Next()"/>
    public long Next() => _sequencer.Next();

    /// <inheritdoc cref="ISequencer.Next(int)"/>
    public long Next(int n) => _sequencer.Next(n);

    /// <inheritdoc cref="ISequencer.TryNext(out long)"/>
    public bool TryNext(out long sequence) => _sequencer.TryNext(out sequence);

    /// <inheritdoc cref="ISequencer.TryNext(int, out long)"/>
    public bool TryNext(int n, out long sequence) => _sequencer.TryNext(n, out sequence);

    /// <inheritdoc cref="ISequencer.Publish(long)"/>
    public void Publish(long sequence) => _sequencer.Publish(sequence);

    /// <inheritdoc cref="ISequencer.Publish(long, long)"/>
    public void Publish(long lo, long hi) => _sequencer.Publish(lo, hi);

    /// <inheritdoc cref="ISequencer.IsAvailable"/>
    public bool IsAvailable(long sequence) => _sequencer.IsAvailable(sequence);

    /// <inheritdoc cref="ISequencer.RemainingCapacity"/>
    public long RemainingCapacity() => _sequencer.RemainingCapacity();

    /// <inheritdoc cref="ISequencer.AddGatingSequences"/>
    public void AddGatingSequences(params Sequence[] gatingSequences) => _sequencer.AddGatingSequences(gatingSequences);

    /// <inheritdoc cref="ISequencer.RemoveGatingSequence"/>
    public bool RemoveGatingSequence(Sequence sequence) => _sequencer.RemoveGatingSequence(sequence);

    /// <inheritdoc cref="ISequencer.NewBarrier"/>
    public SequenceBarrier NewBarrier(params Sequence[] dependents) => _sequencer.NewBarrier(dependents);

    /// <summary>A pull-mode consumer over this ring, gated on <paramref name="dependents"/> (or the cursor if none).</summary>
    public EventPoller<T> NewPoller(params Sequence[] dependents) => new(this, dependents ?? []);
}
