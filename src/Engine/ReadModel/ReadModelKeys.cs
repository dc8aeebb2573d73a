using System.Buffers.Binary;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// The read model's key space in one RocksDB column family. Every number in a key is big-endian, so RocksDB's
/// bytewise order is numeric order: an account's history iterates in (account, log index, ordinal) order, and
/// the time index in (timestamp, index) order. One prefix byte per table:
/// <code>
/// 'C'                                   checkpoint (ViewPosition)                 meta
/// 'V'                                   view format version (uint32 LE, <see cref="FormatVersion"/>)
/// 'A' account(16)                       Account as created (or closed): 128 bytes static part
/// 'H' account(16) index(8) ordinal(4)   history chunk: 1..256 HistoryRows of the account, in (index, ordinal)
///                                       order, each encoded against the one before (HistoryRowCodec: ~45-60 bytes
///                                       for a transfer's row); the key is the chunk's first row
/// 'T' transfer(16)                      Transfer without its id + log index, compact (TransferRowCodec: ~50-60
///                                       bytes when the optional fields are zero, at most 132)
/// 'S' transfer(16)                      TransferStatusRow (32) of a hold: pending/posted/voided/expired (absent = posted)
/// 'U' userData128(16) account(16)       empty: accounts by user data
/// 'R' timestamp(8) index(8)             empty: log records that carried events, by time (time → index)
/// </code>
/// </summary>
internal static class ReadModelKeys
{
    /// <summary>
    /// Layout version of the view. Bump on any change of keys or values: a view of another version is deleted and
    /// rebuilt from the journal when opened for writing, and refused when opened read-only (never misread).
    /// 1: one 'H' row per change (no 'V' key). 2: 'H' chunks of up to 256 rows per account and write batch, each row
    /// the fixed 112-byte <see cref="HistoryRow"/>; 'T' the 128-byte transfer + index. 3: the chunks' rows in the compact
    /// form of <see cref="HistoryRowCodec"/>, 'T' values in that of <see cref="TransferRowCodec"/>.
    /// </summary>
    public const uint FormatVersion = 3;

    public const byte Checkpoint = (byte)'C';
    public const byte Format = (byte)'V';
    public const byte Account = (byte)'A';
    public const byte History = (byte)'H';
    public const byte Transfer = (byte)'T';
    public const byte Status = (byte)'S';
    public const byte UserData = (byte)'U';
    public const byte TimeIndex = (byte)'R';

    public const int IdKeyBytes = 17;
    public const int HistoryKeyBytes = 1 + 16 + 8 + 4;
    public const int UserDataKeyBytes = 1 + 16 + 16;
    public const int TimeKeyBytes = 1 + 8 + 8;

    public static void WriteId(Span<byte> key, byte table, UInt128 id)
    {
        key[0] = table;
        BinaryPrimitives.WriteUInt128BigEndian(key.Slice(1, 16), id);
    }

    public static void WriteHistory(Span<byte> key, UInt128 account, long index, uint ordinal)
    {
        WriteId(key, History, account);
        BinaryPrimitives.WriteInt64BigEndian(key.Slice(17, 8), index);
        BinaryPrimitives.WriteUInt32BigEndian(key.Slice(25, 4), ordinal);
    }

    public static void WriteUserData(Span<byte> key, UInt128 userData, UInt128 account)
    {
        WriteId(key, UserData, userData);
        BinaryPrimitives.WriteUInt128BigEndian(key.Slice(17, 16), account);
    }

    public static void WriteTime(Span<byte> key, long timestampNs, long index)
    {
        key[0] = TimeIndex;
        BinaryPrimitives.WriteInt64BigEndian(key.Slice(1, 8), timestampNs);
        BinaryPrimitives.WriteInt64BigEndian(key.Slice(9, 8), index);
    }

    public static long HistoryIndex(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key.Slice(17, 8));
    public static uint HistoryOrdinal(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt32BigEndian(key.Slice(25, 4));
    public static UInt128 UserDataAccount(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt128BigEndian(key.Slice(17, 16));
    public static long TimeIndexOf(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key.Slice(9, 8));

    /// <summary>True when <paramref name="key"/> starts with the first <paramref name="length"/> bytes of <paramref name="prefix"/>.</summary>
    public static bool HasPrefix(ReadOnlySpan<byte> key, ReadOnlySpan<byte> prefix, int length) =>
        key.Length >= length && key[..length].SequenceEqual(prefix[..length]);
}
