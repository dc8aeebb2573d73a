using System.Runtime.InteropServices;
using Wallet.Engine.Partition;

namespace Wallet.Engine.ReadModel;

/// <summary>Which side of an event an account was on.</summary>
public enum HistorySide : byte
{
    /// <summary>An account event (created, closed): the account itself.</summary>
    Account = 0,
    Debit = 1,
    Credit = 2,
}

/// <summary>
/// One change of one account as queries return it (112 bytes in memory, little-endian), with the balances after the
/// change: the running balance that point-in-time answers read. Stored in a history chunk in a compact form without
/// the reserved bytes and with what the key or the row before already says left out (<see cref="HistoryRowCodec"/>).
/// <code>
///   0  2 event kind (LedgerEventKind)   2 1 side (HistorySide)   3 5 reserved
///   8  8 log index of the command
///  16  8 command timestamp (ns since the Unix epoch; what "as of a time" compares)
///  24  8 event timestamp (ns; for an expiry, the instant the hold expired)
///  32 16 transfer id (zero for account events)
///  48 16 the other account of the transfer (zero for account events)
///  64  8 amount (minor units; zero for account events)
///  72  4 ordinal of the event within its log record   76 4 reserved
///  80 32 balances after: debits pending, debits posted, credits pending, credits posted
/// </code>
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public struct HistoryRow
{
    public const int SizeBytes = 112;

    [FieldOffset(0)] public LedgerEventKind Kind;
    [FieldOffset(2)] public HistorySide Side;
    [FieldOffset(8)] public long Index;
    [FieldOffset(16)] public long CommandTimestamp;
    [FieldOffset(24)] public long EventTimestamp;
    [FieldOffset(32)] public UInt128 TransferId;
    [FieldOffset(48)] public UInt128 CounterpartyId;
    [FieldOffset(64)] public long Amount;
    [FieldOffset(72)] public uint Ordinal;
    [FieldOffset(80)] public AccountBalances After;
}
