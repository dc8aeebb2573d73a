using System.Buffers.Binary;

namespace Wallet.Protocol;

/// <summary>
/// FIX Simple Open Framing Header 1.0: every SBE message on TCP is preceded by 6 bytes, big-endian:
/// uint32 message length (counting these 6 bytes) and uint16 encoding type.
/// </summary>
public static class Sofh
{
    public const int HeaderLength = 6;
    /// <summary>SBE 1.0, little-endian byte order.</summary>
    public const ushort SbeLittleEndian = 0xEB50;
    /// <summary>SBE 1.0, big-endian byte order (not spoken by this engine; answered with UnsupportedEncoding).</summary>
    public const ushort SbeBigEndian = 0x5BE0;

    public static void Write(Span<byte> destination, int messageLength, ushort encodingType = SbeLittleEndian)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messageLength, HeaderLength);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)messageLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], encodingType);
    }

    /// <summary>Reads a header; false when fewer than 6 bytes are available.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out uint messageLength, out ushort encodingType)
    {
        if (source.Length < HeaderLength)
        {
            messageLength = 0;
            encodingType = 0;
            return false;
        }
        messageLength = BinaryPrimitives.ReadUInt32BigEndian(source);
        encodingType = BinaryPrimitives.ReadUInt16BigEndian(source[4..]);
        return true;
    }
}
