using System.Buffers.Binary;
using Wallet.Engine.Partition;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// The stored form of a <see cref="HistoryRow"/> inside a history chunk (view format 3): a row is encoded relative to
/// the row before it in the chunk (the first row relative to the chunk's key), so what the key or the previous row
/// already says is not stored again, and the reserved bytes of the in-memory row are not stored at all. Why: the
/// 112-byte fixed row made the history chunks two thirds of the bytes the view writes, and on the ingest path those
/// bytes are written, checksummed, then read, decompressed and rewritten by every compaction behind them.
/// <code>
/// byte      header: bits 0-2 event kind (1..7), bits 3-4 side (0..2), bit 5 "transfer fields present", bits 6-7 zero
/// varint    log index − previous row's (the first row: − the key's; always 0 there)
/// varint    ordinal − previous row's when the index is the same (the first row: − the key's, 0), else the ordinal
/// zvarint   command timestamp − previous row's (the first row: − 0)
/// zvarint   event timestamp − command timestamp
/// [16]      transfer id             } only when the header says so (an account event has all three zero,
/// [16]      the other account       } the row then reads them back as zero)
/// zvarint   amount                  }
/// 4 zvarint balances after − previous row's (the first row: − 0): debits pending, debits posted, credits pending, credits posted
/// </code>
/// varint = unsigned LEB128 (at most 10 bytes); zvarint = varint of the zigzag of a wrapping 64-bit difference, so any
/// int64 round-trips exactly. Ids stay fixed 16-byte fields: client ids are arbitrary 128-bit numbers. Rows must come
/// in strictly ascending (index, ordinal) order after the first; a decoder refuses anything else as corrupt.
/// </summary>
internal static class HistoryRowCodec
{
    /// <summary>
    /// Largest encoded row: header; index delta (at most 2^63 − 1: 9 bytes); ordinal (32 bits: 5); two timestamp
    /// deltas, the amount and four balance deltas (10 each); two ids.
    /// </summary>
    public const int MaxEncodedBytes = 1 + 9 + 5 + 10 + 10 + 16 + 16 + 10 + (4 * 10);

    private const int KindMask = 0b111;
    private const int SideShift = 3;
    private const int SideMask = 0b11;
    private const int TransferFlag = 1 << 5;
    private const int ReservedBits = 0b1100_0000;
    private const string What = "history chunk";

    /// <summary>The previous row's fields a row is encoded against; <see cref="ForChunk"/> starts a chunk.</summary>
    public struct State
    {
        public long Index;
        public uint Ordinal;
        public long CommandTimestamp;
        public AccountBalances After;
        public bool First;

        /// <summary>State before a chunk's first row: its key's (index, ordinal), zero timestamps and balances.</summary>
        public static State ForChunk(long keyIndex, uint keyOrdinal) => new() { Index = keyIndex, Ordinal = keyOrdinal, First = true };
    }

    /// <summary>
    /// Encodes <paramref name="row"/> into <paramref name="destination"/> (at least <see cref="MaxEncodedBytes"/>);
    /// returns the bytes written and advances <paramref name="state"/>. The caller guarantees the order (the chunk
    /// builder sorts and deduplicates); a row out of order is a bug, refused here rather than stored unreadable.
    /// </summary>
    public static int Encode(ref State state, in HistoryRow row, Span<byte> destination)
    {
        int kind = (int)row.Kind;
        if (kind is < 1 or > KindMask) throw new ArgumentOutOfRangeException(nameof(row), kind, "history row: event kind must be 1..7");
        if ((byte)row.Side > 2) throw new ArgumentOutOfRangeException(nameof(row), row.Side, "history row: side must be 0..2");
        bool transfer = row.TransferId != UInt128.Zero || row.CounterpartyId != UInt128.Zero || row.Amount != 0;
        ulong indexDelta = unchecked((ulong)(row.Index - state.Index));
        bool sameIndex = indexDelta == 0;
        if (row.Index < state.Index || (state.First ? !sameIndex || row.Ordinal != state.Ordinal : sameIndex && row.Ordinal <= state.Ordinal))
            throw new ArgumentException($"history row ({row.Index}, {row.Ordinal}) is not after ({state.Index}, {state.Ordinal}) in its chunk", nameof(row));

        int at = 0;
        destination[at++] = (byte)(kind | ((int)row.Side << SideShift) | (transfer ? TransferFlag : 0));
        at += Varint.Write(destination[at..], indexDelta);
        at += Varint.Write(destination[at..], sameIndex ? row.Ordinal - state.Ordinal : row.Ordinal);
        at += Varint.WriteZigzag(destination[at..], unchecked(row.CommandTimestamp - state.CommandTimestamp));
        at += Varint.WriteZigzag(destination[at..], unchecked(row.EventTimestamp - row.CommandTimestamp));
        if (transfer)
        {
            BinaryPrimitives.WriteUInt128LittleEndian(destination.Slice(at, 16), row.TransferId);
            BinaryPrimitives.WriteUInt128LittleEndian(destination.Slice(at + 16, 16), row.CounterpartyId);
            at += 32;
            at += Varint.WriteZigzag(destination[at..], row.Amount);
        }
        at += Varint.WriteZigzag(destination[at..], unchecked(row.After.DebitsPending - state.After.DebitsPending));
        at += Varint.WriteZigzag(destination[at..], unchecked(row.After.DebitsPosted - state.After.DebitsPosted));
        at += Varint.WriteZigzag(destination[at..], unchecked(row.After.CreditsPending - state.After.CreditsPending));
        at += Varint.WriteZigzag(destination[at..], unchecked(row.After.CreditsPosted - state.After.CreditsPosted));

        state.Index = row.Index;
        state.Ordinal = row.Ordinal;
        state.CommandTimestamp = row.CommandTimestamp;
        state.After = row.After;
        state.First = false;
        return at;
    }

    /// <summary>
    /// Decodes one row from the start of <paramref name="source"/>; returns the bytes it took. Truncated input, an
    /// over-long varint, bits that no encoder sets, or a row not after the previous one throw
    /// <see cref="InvalidDataException"/> (a corrupt view: rebuild it), never anything else.
    /// </summary>
    public static int Decode(ref State state, ReadOnlySpan<byte> source, out HistoryRow row)
    {
        row = default;
        if (source.IsEmpty) throw Corrupt("a row is cut short");
        int header = source[0];
        int kind = header & KindMask;
        int side = (header >> SideShift) & SideMask;
        if (kind == 0 || side > 2 || (header & ReservedBits) != 0) throw Corrupt($"bad row header 0x{header:x2}");
        int at = 1;
        ulong indexDelta = Varint.Read(source, ref at, What);
        ulong ordinalField = Varint.Read(source, ref at, What);
        long commandTimestamp = unchecked(state.CommandTimestamp + Varint.ReadZigzag(source, ref at, What));
        long eventTimestamp = unchecked(commandTimestamp + Varint.ReadZigzag(source, ref at, What));
        if (state.First && indexDelta != 0) throw Corrupt("the first row is not the chunk's key");
        if (indexDelta > (ulong)(long.MaxValue - state.Index)) throw Corrupt("log index out of range");
        long index = state.Index + (long)indexDelta;
        uint ordinal;
        if (indexDelta == 0)
        {
            if (ordinalField > uint.MaxValue - state.Ordinal) throw Corrupt("ordinal out of range");
            if (ordinalField == 0 && !state.First) throw Corrupt("two rows at the same (index, ordinal)");
            if (state.First && ordinalField != 0) throw Corrupt("the first row is not the chunk's key");
            ordinal = state.Ordinal + (uint)ordinalField;
        }
        else
        {
            if (ordinalField > uint.MaxValue) throw Corrupt("ordinal out of range");
            ordinal = (uint)ordinalField;
        }
        row.Kind = (LedgerEventKind)kind;
        row.Side = (HistorySide)side;
        row.Index = index;
        row.Ordinal = ordinal;
        row.CommandTimestamp = commandTimestamp;
        row.EventTimestamp = eventTimestamp;
        if ((header & TransferFlag) != 0)
        {
            if (source.Length - at < 32) throw Corrupt("a row is cut short");
            row.TransferId = BinaryPrimitives.ReadUInt128LittleEndian(source.Slice(at, 16));
            row.CounterpartyId = BinaryPrimitives.ReadUInt128LittleEndian(source.Slice(at + 16, 16));
            at += 32;
            row.Amount = Varint.ReadZigzag(source, ref at, What);
        }
        row.After.DebitsPending = unchecked(state.After.DebitsPending + Varint.ReadZigzag(source, ref at, What));
        row.After.DebitsPosted = unchecked(state.After.DebitsPosted + Varint.ReadZigzag(source, ref at, What));
        row.After.CreditsPending = unchecked(state.After.CreditsPending + Varint.ReadZigzag(source, ref at, What));
        row.After.CreditsPosted = unchecked(state.After.CreditsPosted + Varint.ReadZigzag(source, ref at, What));

        state.Index = index;
        state.Ordinal = ordinal;
        state.CommandTimestamp = commandTimestamp;
        state.After = row.After;
        state.First = false;
        return at;
    }

    private static InvalidDataException Corrupt(string detail) => Varint.Corrupt("history chunk", detail);
}
