using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Journal;

/// <summary>
/// The 64-byte little-endian header at offset 0 of every segment file. Records start at offset 64.
/// <code>
/// offset size field
///  0     8    Magic              "WJRNLSG1"
///  8     4    FormatVersion      1
/// 12     4    HeaderBytes        64
/// 16     8    FirstIndex         index of the first record in this segment (also in the file name)
/// 24     8    SegmentSizeBytes   preallocated file size
/// 32     4    ChainSeed          Checksum of the record before FirstIndex (0 for genesis)
/// 36     4    Reserved0          0
/// 40     8    PrevTerm           Term of the record before FirstIndex (0 for genesis)
/// 48     8    PrevTimestamp      Timestamp of the record before FirstIndex (0 for genesis)
/// 56     4    Reserved1          0
/// 60     4    HeaderChecksum     CRC-32C of bytes [0, 60)
/// </code>
/// The seed fields let a journal whose older segments were deleted (retention) still verify its chain.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public struct SegmentHeader
{
    public const int SizeBytes = 64;
    public const ulong MagicValue = 0x3147534C4E524A57; // "WJRNLSG1" little-endian
    public const int CurrentFormatVersion = 1;

    public const int MagicOffset = 0;
    public const int FormatVersionOffset = 8;
    public const int HeaderBytesOffset = 12;
    public const int FirstIndexOffset = 16;
    public const int SegmentSizeOffset = 24;
    public const int ChainSeedOffset = 32;
    public const int Reserved0Offset = 36;
    public const int PrevTermOffset = 40;
    public const int PrevTimestampOffset = 48;
    public const int Reserved1Offset = 56;
    public const int HeaderChecksumOffset = 60;

    [FieldOffset(MagicOffset)] public ulong Magic;
    [FieldOffset(FormatVersionOffset)] public int FormatVersion;
    [FieldOffset(HeaderBytesOffset)] public int HeaderBytes;
    [FieldOffset(FirstIndexOffset)] public long FirstIndex;
    [FieldOffset(SegmentSizeOffset)] public long SegmentSizeBytes;
    [FieldOffset(ChainSeedOffset)] public uint ChainSeed;
    [FieldOffset(Reserved0Offset)] public uint Reserved0;
    [FieldOffset(PrevTermOffset)] public long PrevTerm;
    [FieldOffset(PrevTimestampOffset)] public long PrevTimestamp;
    [FieldOffset(Reserved1Offset)] public uint Reserved1;
    [FieldOffset(HeaderChecksumOffset)] public uint HeaderChecksum;

    public static SegmentHeader Read(ReadOnlySpan<byte> source)
    {
        ReadOnlySpan<byte> s = source[..SizeBytes];
        return new SegmentHeader
        {
            Magic = BinaryPrimitives.ReadUInt64LittleEndian(s[MagicOffset..]),
            FormatVersion = BinaryPrimitives.ReadInt32LittleEndian(s[FormatVersionOffset..]),
            HeaderBytes = BinaryPrimitives.ReadInt32LittleEndian(s[HeaderBytesOffset..]),
            FirstIndex = BinaryPrimitives.ReadInt64LittleEndian(s[FirstIndexOffset..]),
            SegmentSizeBytes = BinaryPrimitives.ReadInt64LittleEndian(s[SegmentSizeOffset..]),
            ChainSeed = BinaryPrimitives.ReadUInt32LittleEndian(s[ChainSeedOffset..]),
            Reserved0 = BinaryPrimitives.ReadUInt32LittleEndian(s[Reserved0Offset..]),
            PrevTerm = BinaryPrimitives.ReadInt64LittleEndian(s[PrevTermOffset..]),
            PrevTimestamp = BinaryPrimitives.ReadInt64LittleEndian(s[PrevTimestampOffset..]),
            Reserved1 = BinaryPrimitives.ReadUInt32LittleEndian(s[Reserved1Offset..]),
            HeaderChecksum = BinaryPrimitives.ReadUInt32LittleEndian(s[HeaderChecksumOffset..]),
        };
    }

    /// <summary>Encodes the header and stamps HeaderChecksum over bytes [0, 60).</summary>
    public void WriteWithChecksum(Span<byte> destination)
    {
        Span<byte> d = destination[..SizeBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(d[MagicOffset..], Magic);
        BinaryPrimitives.WriteInt32LittleEndian(d[FormatVersionOffset..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(d[HeaderBytesOffset..], HeaderBytes);
        BinaryPrimitives.WriteInt64LittleEndian(d[FirstIndexOffset..], FirstIndex);
        BinaryPrimitives.WriteInt64LittleEndian(d[SegmentSizeOffset..], SegmentSizeBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(d[ChainSeedOffset..], ChainSeed);
        BinaryPrimitives.WriteUInt32LittleEndian(d[Reserved0Offset..], Reserved0);
        BinaryPrimitives.WriteInt64LittleEndian(d[PrevTermOffset..], PrevTerm);
        BinaryPrimitives.WriteInt64LittleEndian(d[PrevTimestampOffset..], PrevTimestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(d[Reserved1Offset..], Reserved1);
        HeaderChecksum = Crc32C.Compute(d[..HeaderChecksumOffset]);
        BinaryPrimitives.WriteUInt32LittleEndian(d[HeaderChecksumOffset..], HeaderChecksum);
    }

    /// <summary>Null when valid, else the reason and the offset of the offending field.</summary>
    internal static string? Validate(ReadOnlySpan<byte> encoded, in SegmentHeader h, out long faultOffset)
    {
        faultOffset = MagicOffset;
        if (h.Magic != MagicValue)
        {
            return $"bad segment magic 0x{h.Magic:X16}";
        }

        faultOffset = HeaderChecksumOffset;
        uint crc = Crc32C.Compute(encoded[..HeaderChecksumOffset]);
        if (crc != h.HeaderChecksum)
        {
            faultOffset = 0;
            return $"segment header checksum mismatch (stored 0x{h.HeaderChecksum:X8}, computed 0x{crc:X8})";
        }

        faultOffset = FormatVersionOffset;
        if (h.FormatVersion != CurrentFormatVersion)
        {
            return $"unsupported segment format version {h.FormatVersion}";
        }

        faultOffset = HeaderBytesOffset;
        if (h.HeaderBytes != SizeBytes)
        {
            return $"segment header size {h.HeaderBytes}, expected {SizeBytes}";
        }

        faultOffset = FirstIndexOffset;
        if (h.FirstIndex < 1)
        {
            return $"segment first index {h.FirstIndex} is not positive";
        }

        faultOffset = SegmentSizeOffset;
        if (h.SegmentSizeBytes < JournalOptions.MinSegmentSizeBytes || h.SegmentSizeBytes > JournalOptions.MaxSegmentSizeBytes
            || h.SegmentSizeBytes % JournalRecordHeader.AlignmentBytes != 0)
        {
            return $"segment size {h.SegmentSizeBytes} out of range";
        }

        faultOffset = Reserved0Offset;
        if (h.Reserved0 != 0 || h.Reserved1 != 0)
        {
            return "segment header reserved fields are not zero";
        }

        faultOffset = PrevTermOffset;
        if (h.PrevTerm < 0 || h.PrevTimestamp < 0)
        {
            return "segment header previous term/timestamp is negative";
        }

        return null;
    }
}
