using System.Runtime.InteropServices;

namespace Wallet.Engine.Ring;

/// <summary>
/// A monotonically advancing 64-bit counter shared between threads (a producer cursor or a consumer position).
/// </summary>
/// <remarks>
/// The value sits at field offset 64 of 136 bytes of fields: with the object header in front that leaves at least
/// 56 bytes of padding on either side (a test checks the allocated size), so two hot sequences never share a 64-byte cache line (no false sharing).
/// Memory ordering: <see cref="Value"/> is an acquire load; <see cref="SetValue"/> is a release store (enough
/// for publish/consume hand-off); <see cref="SetValueVolatile"/> adds a full fence (StoreLoad) for the rare
/// places that must publish a store before reading another location.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 136)]
public sealed class Sequence
{
    /// <summary>The value of a fresh sequence: nothing claimed, published or consumed yet.</summary>
    public const long InitialValue = -1;

    [FieldOffset(64)]
    private long _value;

    // The runtime ignores StructLayout.Size for classes, so a real field at the end reserves the trailing padding.
#pragma warning disable CS0169 // never read: it exists only to occupy bytes 128..135
    [FieldOffset(128)]
    private long _trailingPadding;
#pragma warning restore CS0169

    public Sequence(long initialValue = InitialValue)
    {
        _value = initialValue;
    }

    /// <summary>Acquire load: everything written before the matching release store is visible after this read.</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>Release (ordered) store: prior writes (e.g. the event payload) become visible no later than this value.</summary>
    public void SetValue(long value) => Volatile.Write(ref _value, value);

    /// <summary>Release store followed by a full fence, so later loads cannot be reordered before this store.</summary>
    public void SetValueVolatile(long value)
    {
        Volatile.Write(ref _value, value);
        Interlocked.MemoryBarrier();
    }

    /// <summary>Atomically sets <paramref name="next"/> if the current value equals <paramref name="expected"/>. Full fence.</summary>
    public bool CompareAndSet(long expected, long next) => Interlocked.CompareExchange(ref _value, next, expected) == expected;

    /// <summary>Atomically adds one and returns the new value. Full fence.</summary>
    public long IncrementAndGet() => Interlocked.Increment(ref _value);

    /// <summary>Atomically adds <paramref name="increment"/> and returns the new value. Full fence.</summary>
    public long AddAndGet(long increment) => Interlocked.Add(ref _value, increment);

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
