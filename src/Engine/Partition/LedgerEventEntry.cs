using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Engine.Partition;

/// <summary>A balance snapshot of one account after an event (32 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct AccountBalances
{
    [FieldOffset(0)] public long DebitsPending;
    [FieldOffset(8)] public long DebitsPosted;
    [FieldOffset(16)] public long CreditsPending;
    [FieldOffset(24)] public long CreditsPosted;

    public static AccountBalances Of(in Account a) => new()
    {
        DebitsPending = a.DebitsPending,
        DebitsPosted = a.DebitsPosted,
        CreditsPending = a.CreditsPending,
        CreditsPosted = a.CreditsPosted,
    };
}

/// <summary>
/// One entry of the event journal, 224 bytes, little-endian. The event journal holds one record per command
/// (same log index as the command), whose payload is zero or more of these entries back to back, in the order
/// the state machine produced them (expiries first, then the items). Derived data: it can always be regenerated
/// from the command journal, byte for byte.
/// <code>
/// offset size
///      0    2 kind (LedgerEventKind)
///      2    6 reserved, zero
///      8    8 timestamp of the event (ns since the Unix epoch; the expiry instant for PendingExpired)
///     16  128 body: the Account (account events) or the Transfer (transfer events; for PendingPosted/Voided the
///             post/void transfer, whose PendingId names the hold)
///    144   32 debit account balances after the event (account events: the account's balances)
///    176   32 credit account balances after the event (account events: zero)
///    208   16 id of the pending transfer (PendingPosted/Voided/Expired), else zero
/// </code>
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public struct LedgerEventEntry
{
    public const int SizeBytes = 224;

    [FieldOffset(0)] public LedgerEventKind Kind;
    [FieldOffset(8)] public long Timestamp;
    [FieldOffset(16)] public Account Account;
    [FieldOffset(16)] public Transfer Transfer;
    [FieldOffset(144)] public AccountBalances DebitAfter;
    [FieldOffset(176)] public AccountBalances CreditAfter;
    [FieldOffset(208)] public UInt128 PendingId;

    /// <summary>The event entries of one event-journal record payload (zero-copy view).</summary>
    public static ReadOnlySpan<LedgerEventEntry> Parse(ReadOnlySpan<byte> payload)
    {
        if (payload.Length % SizeBytes != 0)
            throw new InvalidDataException($"event record payload of {payload.Length} bytes is not a multiple of {SizeBytes}");
        return MemoryMarshal.Cast<byte, LedgerEventEntry>(payload);
    }
}
