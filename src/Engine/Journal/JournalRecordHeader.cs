using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Journal;

/// <summary>
/// The 48-byte little-endian header in front of every record. On disk a record is
/// header + payload + zero padding to the next 8-byte boundary.
/// <code>
/// offset size field
///  0     4    TotalLengthBytes  header + payload + padding (multiple of 8)
///  4     2    Type              caller-defined, 0 is invalid
///  6     2    Flags             caller-defined
///  8     8    Index             previous record's index + 1
/// 16     8    Term              caller-defined (consensus term), >= 0
/// 24     8    Timestamp         caller's stamp, >= 0 and non-decreasing
/// 32     4    PayloadLength     bytes of payload
/// 36     4    PrevChecksum      Checksum of the previous record (the hash chain)
/// 40     4    Checksum          CRC-32C over this header (Checksum field = 0) + payload
/// 44     4    Reserved          must be 0
/// </code>
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public struct JournalRecordHeader
{
    public const int SizeBytes = 48;
    public const int AlignmentBytes = 8;

    public const int TotalLengthOffset = 0;
    public const int TypeOffset = 4;
    public const int FlagsOffset = 6;
    public const int IndexOffset = 8;
    public const int TermOffset = 16;
    public const int TimestampOffset = 24;
    public const int PayloadLengthOffset = 32;
    public const int PrevChecksumOffset = 36;
    public const int ChecksumOffset = 40;
    public const int ReservedOffset = 44;

    [FieldOffset(TotalLengthOffset)] public int TotalLengthBytes;
    [FieldOffset(TypeOffset)] public ushort Type;
    [FieldOffset(FlagsOffset)] public ushort Flags;
    [FieldOffset(IndexOffset)] public long Index;
    [FieldOffset(TermOffset)] public long Term;
    [FieldOffset(TimestampOffset)] public long Timestamp;
    [FieldOffset(PayloadLengthOffset)] public int PayloadLength;
    [FieldOffset(PrevChecksumOffset)] public uint PrevChecksum;
    [FieldOffset(ChecksumOffset)] public uint Checksum;
    [FieldOffset(ReservedOffset)] public uint Reserved;

    /// <summary>Bytes a record with <paramref name="payloadBytes"/> of payload occupies on disk.</summary>
    public static int RecordBytesOnDisk(int payloadBytes)
    {
        long bytes = ((long)SizeBytes + payloadBytes + (AlignmentBytes - 1)) & ~(long)(AlignmentBytes - 1);
        return bytes > int.MaxValue ? throw new ArgumentOutOfRangeException(nameof(payloadBytes)) : (int)bytes;
    }

    /// <summary>Decodes explicitly little-endian, so the format does not depend on the host.</summary>
    public static JournalRecordHeader Read(ReadOnlySpan<byte> source)
    {
        ReadOnlySpan<byte> s = source[..SizeBytes];
        return new JournalRecordHeader
        {
            TotalLengthBytes = BinaryPrimitives.ReadInt32LittleEndian(s[TotalLengthOffset..]),
            Type = BinaryPrimitives.ReadUInt16LittleEndian(s[TypeOffset..]),
            Flags = BinaryPrimitives.ReadUInt16LittleEndian(s[FlagsOffset..]),
            Index = BinaryPrimitives.ReadInt64LittleEndian(s[IndexOffset..]),
            Term = BinaryPrimitives.ReadInt64LittleEndian(s[TermOffset..]),
            Timestamp = BinaryPrimitives.ReadInt64LittleEndian(s[TimestampOffset..]),
            PayloadLength = BinaryPrimitives.ReadInt32LittleEndian(s[PayloadLengthOffset..]),
            PrevChecksum = BinaryPrimitives.ReadUInt32LittleEndian(s[PrevChecksumOffset..]),
            Checksum = BinaryPrimitives.ReadUInt32LittleEndian(s[ChecksumOffset..]),
            Reserved = BinaryPrimitives.ReadUInt32LittleEndian(s[ReservedOffset..]),
        };
    }

    public readonly void Write(Span<byte> destination)
    {
        Span<byte> d = destination[..SizeBytes];
        BinaryPrimitives.WriteInt32LittleEndian(d[TotalLengthOffset..], TotalLengthBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(d[TypeOffset..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(d[FlagsOffset..], Flags);
        BinaryPrimitives.WriteInt64LittleEndian(d[IndexOffset..], Index);
        BinaryPrimitives.WriteInt64LittleEndian(d[TermOffset..], Term);
        BinaryPrimitives.WriteInt64LittleEndian(d[TimestampOffset..], Timestamp);
        BinaryPrimitives.WriteInt32LittleEndian(d[PayloadLengthOffset..], PayloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(d[PrevChecksumOffset..], PrevChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(d[ChecksumOffset..], Checksum);
        BinaryPrimitives.WriteUInt32LittleEndian(d[ReservedOffset..], Reserved);
    }

    /// <summary>CRC-32C over the encoded header with its Checksum field zeroed, then the payload.</summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> encodedHeader, ReadOnlySpan<byte> payload)
    {
        uint crc = Crc32C.Compute(encodedHeader[..ChecksumOffset]);
        crc = Crc32C.Append(crc, [0, 0, 0, 0]);
        crc = Crc32C.Append(crc, encodedHeader[(ChecksumOffset + 4)..SizeBytes]);
        return Crc32C.Append(crc, payload);
    }
}
