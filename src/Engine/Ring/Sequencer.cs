using System.Numerics;

namespace Wallet.Engine.Ring;

/// <summary>State and behaviour shared by <see cref="SingleProducerSequencer"/> and <see cref="MultiProducerSequencer"/>.</summary>
public abstract class Sequencer : ISequencer
{
    /// <summary>Upper bound on ring size (slots): keeps availability buffers and slot arrays within sane memory.</summary>
    public const int MaxBufferSize = 1 << 30;

    private Sequence[] _gatingSequences = [];

    protected Sequencer(int bufferSize, IWaitStrategy waitStrategy)
    {
        ValidateBufferSize(bufferSize);
        ArgumentNullException.ThrowIfNull(waitStrategy);
        BufferSize = bufferSize;
        WaitStrategy = waitStrategy;
        CursorSequence = new Sequence();
    }

    public int BufferSize { get; }

    /// <summary>The strategy consumers of this sequencer use to wait; Publish signals it.</summary>
    public IWaitStrategy WaitStrategy { get; }

    /// <summary>The sequence object behind <see cref="Cursor"/> (barriers wait on it).</summary>
    public Sequence CursorSequence { get; }

    public long Cursor => CursorSequence.Value;

    /// <summary>Current gating set (a stable snapshot; the array is replaced, never mutated).</summary>
    protected Sequence[] GatingSequences => Volatile.Read(ref _gatingSequences);

    /// <summary>Throws <see cref="ArgumentException"/> unless 1 &lt;= size &lt;= <see cref="MaxBufferSize"/> and a power of two.</summary>
    public static void ValidateBufferSize(int bufferSize)
    {
        if (bufferSize < 1 || bufferSize > MaxBufferSize || !BitOperations.IsPow2(bufferSize))
        {
            throw new ArgumentException(
                $"bufferSize must be a power of two in [1, {MaxBufferSize}] so a sequence maps to a slot by masking; got {bufferSize}.",
                nameof(bufferSize));
        }
    }

    public abstract long Next();

    public abstract long Next(int n);

    public abstract bool TryNext(out long sequence);

    public abstract bool TryNext(int n, out long sequence);

    public abstract void Publish(long sequence);

    public abstract void Publish(long lo, long hi);

    public abstract bool IsAvailable(long sequence);

    public abstract long GetHighestPublishedSequence(long lo, long available);

    public abstract long RemainingCapacity();

    public void AddGatingSequences(params Sequence[] gatingSequences) =>
        Sequences.Add(ref _gatingSequences, () => CursorSequence.Value, gatingSequences);

    public bool RemoveGatingSequence(Sequence sequence) => Sequences.Remove(ref _gatingSequences, sequence);

    /// <summary>Smallest gating sequence, or <paramref name="ceiling"/> when there are none or all are ahead of it.</summary>
    public long GetMinimumGatingSequence(long ceiling) => Sequences.Minimum(GatingSequences, ceiling);

    public SequenceBarrier NewBarrier(params Sequence[] dependents) =>
        new(this, WaitStrategy, CursorSequence, dependents ?? []);

    /// <summary>Checks a claim size before any state changes.</summary>
    protected void ValidateClaimSize(int n)
    {
        if (n < 1 || n > BufferSize)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"claim size must be in [1, {BufferSize}]");
        }
    }
}
