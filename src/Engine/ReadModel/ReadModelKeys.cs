using System.Buffers.Binary;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// The read model's key space in one RocksDB column family. Every number in a key is big-endian, so RocksDB's
/// bytewise order is numeric order: an account's history iterates in (epoch, account, log index, ordinal) order, and
/// the time index in (timestamp, index) order. One prefix byte per table:
/// <code>
/// 'A' account(16)                       Account as created (or closed): 128 bytes static part
/// 'C'                                   checkpoint (ViewPosition)                 meta
/// 'E' epoch(8)                          a history epoch (its first log index): rows written to it (8, LE)
/// 'H' epoch(8) account(16) index(8) ordinal(4)
///                                       history chunk: 1..256 HistoryRows of the account, in (index, ordinal)
///                                       order, each encoded against the one before (HistoryRowCodec: ~45-60 bytes
///                                       for a transfer's row); the key is the epoch and the chunk's first row
/// 'R' timestamp(8) index(8)             empty: log records that carried events, by time (time → index)
/// 'S' transfer(16)                      TransferStatusRow (32) of a hold: pending/posted/voided/expired (absent = posted)
/// 'T' transfer(16)                      Transfer without its id + log index, compact (TransferRowCodec: ~50-60
///                                       bytes when the optional fields are zero, at most 132)
/// 'U' userData128(16) account(16)       empty: accounts by user data
/// 'V'                                   view format version (uint32 LE, <see cref="FormatVersion"/>)
/// </code>
/// <para>
/// History epochs: the history is cut, at write-batch boundaries, into epochs of about
/// <see cref="ReadModelOptions.HistoryEpochRows"/> rows, each named by its first log index (an epoch holds the rows of
/// the log indexes from its own up to the next epoch's, exclusive). The epoch leads the history key so that a batch's
/// chunks, which span every account the batch touches, overlap only the current epoch's keys: compaction merges new
/// history into the epoch being filled, never into older ones, and its cost per event stops growing with the size of
/// the view (docs/BENCHMARKS.md §40). A query walks the epochs in order through the 'E' keys
/// (<see cref="HistoryCursor"/>).
/// </para>
/// </summary>
internal static class ReadModelKeys
{
    /// <summary>
    /// Layout version of the view. Bump on any change of keys or values: a view of another version is deleted and
    /// rebuilt from the journal when opened for writing, and refused when opened read-only (never misread).
    /// 1: one 'H' row per change (no 'V' key). 2: 'H' chunks of up to 256 rows per account and write batch, each row
    /// the fixed 112-byte <see cref="HistoryRow"/>; 'T' the 128-byte transfer + index. 3: the chunks' rows in the compact
    /// form of <see cref="HistoryRowCodec"/>, 'T' values in that of <see cref="TransferRowCodec"/>. 4: history epochs
    /// ('H' keys led by the epoch; 'E').
    /// </summary>
    public const uint FormatVersion = 4;

    public const byte Checkpoint = (byte)'C';
    public const byte Format = (byte)'V';
    public const byte Account = (byte)'A';
    public const byte HistoryEpoch = (byte)'E';
    public const byte History = (byte)'H';
    public const byte Transfer = (byte)'T';
    public const byte Status = (byte)'S';
    public const byte UserData = (byte)'U';
    public const byte TimeIndex = (byte)'R';

    public const int IdKeyBytes = 17;
    public const int HistoryKeyBytes = 1 + 8 + 16 + 8 + 4;
    /// <summary>Bytes of a history key that name the epoch and the account (all of an account's chunks in one epoch share them).</summary>
    public const int HistoryPrefixBytes = 1 + 8 + 16;
    public const int HistoryEpochKeyBytes = 1 + 8;
    public const int HistoryEpochValueBytes = 8;
    public const int UserDataKeyBytes = 1 + 16 + 16;
    public const int TimeKeyBytes = 1 + 8 + 8;

    public static void WriteId(Span<byte> key, byte table, UInt128 id)
    {
        key[0] = table;
        BinaryPrimitives.WriteUInt128BigEndian(key.Slice(1, 16), id);
    }

    public static void WriteHistory(Span<byte> key, long epoch, UInt128 account, long index, uint ordinal)
    {
        key[0] = History;
        BinaryPrimitives.WriteInt64BigEndian(key.Slice(1, 8), epoch);
        BinaryPrimitives.WriteUInt128BigEndian(key.Slice(9, 16), account);
        BinaryPrimitives.WriteInt64BigEndian(key.Slice(25, 8), index);
        BinaryPrimitives.WriteUInt32BigEndian(key.Slice(33, 4), ordinal);
    }

    public static void WriteHistoryEpoch(Span<byte> key, long epoch)
    {
        key[0] = HistoryEpoch;
        BinaryPrimitives.WriteInt64BigEndian(key.Slice(1, 8), epoch);
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

    public static long HistoryEpochOf(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key.Slice(1, 8));
    public static UInt128 HistoryAccount(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt128BigEndian(key.Slice(9, 16));
    public static long HistoryIndex(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key.Slice(25, 8));
    public static uint HistoryOrdinal(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt32BigEndian(key.Slice(33, 4));
    /// <summary>The epoch an 'E' key names.</summary>
    public static long HistoryEpochKeyEpoch(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key.Slice(1, 8));
    public static UInt128 UserDataAccount(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt128BigEndian(key.Slice(17, 16));
    public static long TimeIndexOf(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key.Slice(9, 8));

    /// <summary>True when <paramref name="key"/> starts with the first <paramref name="length"/> bytes of <paramref name="prefix"/>.</summary>
    public static bool HasPrefix(ReadOnlySpan<byte> key, ReadOnlySpan<byte> prefix, int length) =>
        key.Length >= length && key[..length].SequenceEqual(prefix[..length]);
}
