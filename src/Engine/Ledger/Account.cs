using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// An account: 128 bytes, explicit little-endian layout; this is also the journal payload format of
/// <see cref="CommandKind.CreateAccounts"/> (an array of these, read zero-copy).
/// Offsets: 0 Id, 16 UserData128, 32 DebitsPending, 40 DebitsPosted, 48 CreditsPending, 56 CreditsPosted,
/// 64 UserData64, 72 Timestamp, 80 UserData32, 84 Ledger, 88 Code, 90 Flags, 92..127 reserved (zero).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public struct Account : ILinkable
{
    public const int SizeBytes = 128;

    [FieldOffset(0)] public UInt128 Id;
    [FieldOffset(16)] public UInt128 UserData128;
    /// <summary>Minor units held by pending transfers debiting this account.</summary>
    [FieldOffset(32)] public long DebitsPending;
    [FieldOffset(40)] public long DebitsPosted;
    [FieldOffset(48)] public long CreditsPending;
    [FieldOffset(56)] public long CreditsPosted;
    [FieldOffset(64)] public ulong UserData64;
    /// <summary>Nanoseconds since the Unix epoch, set by the engine at creation; must be 0 on create.</summary>
    [FieldOffset(72)] public long Timestamp;
    [FieldOffset(80)] public uint UserData32;
    /// <summary>Ledger (currency) code; must be configured in the <see cref="LedgerCatalog"/>.</summary>
    [FieldOffset(84)] public uint Ledger;
    [FieldOffset(88)] public ushort Code;
    [FieldOffset(90)] public AccountFlags Flags;
    [FieldOffset(92)] public uint Reserved0;
    [FieldOffset(96)] public ulong Reserved1;
    [FieldOffset(104)] public ulong Reserved2;
    [FieldOffset(112)] public ulong Reserved3;
    [FieldOffset(120)] public ulong Reserved4;

    internal readonly bool ReservedIsZero =>
        (Reserved0 | Reserved1 | Reserved2 | Reserved3 | Reserved4) == 0;

    readonly bool ILinkable.IsLinked => (Flags & AccountFlags.Linked) != 0;
}
