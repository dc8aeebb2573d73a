using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// A transfer: 128 bytes, explicit little-endian layout; this is also the journal payload format of
/// <see cref="CommandKind.CreateTransfers"/> (an array of these, read zero-copy).
/// Offsets: 0 Id, 16 DebitAccountId, 32 CreditAccountId, 48 PendingId, 64 UserData128, 80 Amount,
/// 88 UserData64, 96 Timestamp, 104 UserData32, 108 TimeoutSeconds, 112 Ledger, 116 Code, 118 Flags,
/// 120..127 reserved (zero).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public struct Transfer : ILinkable
{
    public const int SizeBytes = 128;

    [FieldOffset(0)] public UInt128 Id;
    [FieldOffset(16)] public UInt128 DebitAccountId;
    [FieldOffset(32)] public UInt128 CreditAccountId;
    /// <summary>For post/void: the id of the pending transfer; otherwise must be 0.</summary>
    [FieldOffset(48)] public UInt128 PendingId;
    [FieldOffset(64)] public UInt128 UserData128;
    /// <summary>Minor units, &gt; 0. For post: 0 means "the full pending amount". For void: 0 or the pending amount.</summary>
    [FieldOffset(80)] public long Amount;
    [FieldOffset(88)] public ulong UserData64;
    /// <summary>Nanoseconds since the Unix epoch, set by the engine; must be 0 on create.</summary>
    [FieldOffset(96)] public long Timestamp;
    [FieldOffset(104)] public uint UserData32;
    /// <summary>Pending only: seconds of log time until the hold expires; 0 = never.</summary>
    [FieldOffset(108)] public uint TimeoutSeconds;
    [FieldOffset(112)] public uint Ledger;
    [FieldOffset(116)] public ushort Code;
    [FieldOffset(118)] public TransferFlags Flags;
    [FieldOffset(120)] public ulong Reserved;

    readonly bool ILinkable.IsLinked => (Flags & TransferFlags.Linked) != 0;
}
