using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// A transfer as kept by the engine (and written to snapshots), 144 bytes, no implicit padding:
/// 0 Transfer, 128 DeadlineTimestamp (pending with timeout; else 0), 136 State, 137 Evicted (1 = forgotten by
/// the idempotency window but kept because still pending), 138..143 reserved zero.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
internal struct StoredTransfer
{
    public const int SizeBytes = 144;

    /// <summary>Byte offset of <see cref="State"/> (for prefetching the line that holds it).</summary>
    public const int StateOffset = 136;

    [FieldOffset(0)] public Transfer Transfer;
    [FieldOffset(128)] public long DeadlineTimestamp;
    [FieldOffset(StateOffset)] public TransferState State;
    [FieldOffset(137)] public byte Evicted;
    [FieldOffset(138)] public ushort Reserved0;
    [FieldOffset(140)] public uint Reserved1;

    /// <summary>Free slab slots have State 0.</summary>
    public readonly bool IsLive => State != 0;
}
