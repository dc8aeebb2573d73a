using System.Buffers.Binary;
using Wallet.Engine.Ledger;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// The stored value of a 'T' key (view format 3): a <see cref="Transfer"/> and the log index that created it, without
/// the id (the key holds it) and without the fields a transfer usually leaves zero. Why: the fixed form (the 128-byte
/// transfer + 8-byte index) was a third of the bytes the view writes per transfer, most of them zeros or small numbers
/// that RocksDB still had to copy, compress and checksum.
/// <code>
/// byte      presence: bit 0 pending id, 1 user data 128, 2 user data 64, 3 user data 32, 4 timeout, 5 reserved; bits 6-7 zero
/// [16]      debit account      [16] credit account
/// zvarint   amount             [8]  timestamp (ns since the Unix epoch, little-endian)
/// varint    ledger             varint code (≤ 65535)     varint flags (≤ 65535)     zvarint log index
/// then only the fields present, in bit order: [16] pending id, [16] user data 128, varint user data 64,
///           varint user data 32, varint timeout seconds, [8] reserved
/// </code>
/// varint = unsigned LEB128; zvarint = varint of the zigzag (any int64 round-trips). A value must be consumed exactly:
/// anything cut, over-long, out of range or followed by stray bytes is <see cref="InvalidDataException"/>.
/// </summary>
internal static class TransferRowCodec
{
    /// <summary>Largest encoded value: every optional field present and every number at its widest.</summary>
    public const int MaxEncodedBytes = 1 + 32 + 10 + 8 + 5 + 3 + 3 + 10 + 16 + 16 + 10 + 5 + 5 + 8;

    private const int PendingBit = 1 << 0;
    private const int UserData128Bit = 1 << 1;
    private const int UserData64Bit = 1 << 2;
    private const int UserData32Bit = 1 << 3;
    private const int TimeoutBit = 1 << 4;
    private const int ReservedBit = 1 << 5;
    private const int UnusedBits = 0b1100_0000;

    /// <summary>Encodes <paramref name="transfer"/> (its id excepted) and <paramref name="index"/>; returns the bytes written.</summary>
    public static int Encode(in Transfer transfer, long index, Span<byte> destination)
    {
        int presence = (transfer.PendingId != UInt128.Zero ? PendingBit : 0)
            | (transfer.UserData128 != UInt128.Zero ? UserData128Bit : 0)
            | (transfer.UserData64 != 0 ? UserData64Bit : 0)
            | (transfer.UserData32 != 0 ? UserData32Bit : 0)
            | (transfer.TimeoutSeconds != 0 ? TimeoutBit : 0)
            | (transfer.Reserved != 0 ? ReservedBit : 0);
        int at = 0;
        destination[at++] = (byte)presence;
        BinaryPrimitives.WriteUInt128LittleEndian(destination.Slice(at, 16), transfer.DebitAccountId);
        BinaryPrimitives.WriteUInt128LittleEndian(destination.Slice(at + 16, 16), transfer.CreditAccountId);
        at += 32;
        at += Varint.WriteZigzag(destination[at..], transfer.Amount);
        BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(at, 8), transfer.Timestamp);
        at += 8;
        at += Varint.Write(destination[at..], transfer.Ledger);
        at += Varint.Write(destination[at..], transfer.Code);
        at += Varint.Write(destination[at..], (ushort)transfer.Flags);
        at += Varint.WriteZigzag(destination[at..], index);
        if ((presence & PendingBit) != 0) { BinaryPrimitives.WriteUInt128LittleEndian(destination.Slice(at, 16), transfer.PendingId); at += 16; }
        if ((presence & UserData128Bit) != 0) { BinaryPrimitives.WriteUInt128LittleEndian(destination.Slice(at, 16), transfer.UserData128); at += 16; }
        if ((presence & UserData64Bit) != 0) at += Varint.Write(destination[at..], transfer.UserData64);
        if ((presence & UserData32Bit) != 0) at += Varint.Write(destination[at..], transfer.UserData32);
        if ((presence & TimeoutBit) != 0) at += Varint.Write(destination[at..], transfer.TimeoutSeconds);
        if ((presence & ReservedBit) != 0) { BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(at, 8), transfer.Reserved); at += 8; }
        return at;
    }

    /// <summary>Decodes a stored value; <paramref name="id"/> comes from its key.</summary>
    public static void Decode(UInt128 id, ReadOnlySpan<byte> value, out Transfer transfer, out long index)
    {
        transfer = default;
        if (value.IsEmpty) throw Varint.Corrupt("transfer", "an empty value");
        int presence = value[0];
        if ((presence & UnusedBits) != 0) throw Varint.Corrupt("transfer", $"bad presence byte 0x{presence:x2}");
        int at = 1;
        transfer.Id = id;
        transfer.DebitAccountId = ReadUInt128(value, ref at);
        transfer.CreditAccountId = ReadUInt128(value, ref at);
        transfer.Amount = Varint.ReadZigzag(value, ref at, "transfer");
        transfer.Timestamp = (long)ReadUInt64Fixed(value, ref at);
        transfer.Ledger = (uint)Varint.ReadBounded(value, ref at, uint.MaxValue, "transfer");
        transfer.Code = (ushort)Varint.ReadBounded(value, ref at, ushort.MaxValue, "transfer");
        transfer.Flags = (TransferFlags)(ushort)Varint.ReadBounded(value, ref at, ushort.MaxValue, "transfer");
        index = Varint.ReadZigzag(value, ref at, "transfer");
        if ((presence & PendingBit) != 0) transfer.PendingId = ReadUInt128(value, ref at);
        if ((presence & UserData128Bit) != 0) transfer.UserData128 = ReadUInt128(value, ref at);
        if ((presence & UserData64Bit) != 0) transfer.UserData64 = Varint.Read(value, ref at, "transfer");
        if ((presence & UserData32Bit) != 0) transfer.UserData32 = (uint)Varint.ReadBounded(value, ref at, uint.MaxValue, "transfer");
        if ((presence & TimeoutBit) != 0) transfer.TimeoutSeconds = (uint)Varint.ReadBounded(value, ref at, uint.MaxValue, "transfer");
        if ((presence & ReservedBit) != 0) transfer.Reserved = ReadUInt64Fixed(value, ref at);
        if (at != value.Length) throw Varint.Corrupt("transfer", $"{value.Length - at} stray bytes after the value");
    }

    private static UInt128 ReadUInt128(ReadOnlySpan<byte> value, ref int at)
    {
        if (value.Length - at < 16) throw Varint.Corrupt("transfer", "a value is cut short");
        UInt128 v = BinaryPrimitives.ReadUInt128LittleEndian(value.Slice(at, 16));
        at += 16;
        return v;
    }

    private static ulong ReadUInt64Fixed(ReadOnlySpan<byte> value, ref int at)
    {
        if (value.Length - at < 8) throw Varint.Corrupt("transfer", "a value is cut short");
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(value.Slice(at, 8));
        at += 8;
        return v;
    }
}
