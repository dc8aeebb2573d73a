namespace Wallet.Gateway.Fix;

/// <summary>
/// Finds message boundaries in a byte stream: BeginString (8) must be "FIX.4.4" and come first, BodyLength (9)
/// second, CheckSum (10) must sit exactly BodyLength bytes after the SOH that ends BodyLength and equal the byte sum
/// modulo 256 of everything before it. Anything else is garbled and, as FIX prescribes, ignored: the caller drops
/// <c>consumed</c> bytes (up to the next plausible BeginString) and never answers it. Works on spans, allocates nothing.
/// </summary>
internal static class FixFramer
{
    public const byte Soh = 0x01;
    private static ReadOnlySpan<byte> Prefix => "8=FIX.4.4\u00019="u8;
    /// <summary>"10=nnn|".</summary>
    public const int TrailerBytes = 7;
    private const int MaxBodyLengthDigits = 7;

    /// <summary>
    /// Looks at the start of <paramref name="buffer"/>. <paramref name="consumed"/>: the message length
    /// (<see cref="FixFrameStatus.Complete"/>, <see cref="FixFrameStatus.BadChecksum"/>) or the bytes to skip
    /// (other garbled cases); 0 for <see cref="FixFrameStatus.NeedMore"/>. <paramref name="bodyStart"/> is the offset
    /// of the first field after BodyLength, <paramref name="bodyEnd"/> the offset of "10=".
    /// </summary>
    public static FixFrameStatus Next(ReadOnlySpan<byte> buffer, int maxMessageBytes, out int consumed, out int bodyStart, out int bodyEnd)
    {
        consumed = bodyStart = bodyEnd = 0;
        ReadOnlySpan<byte> prefix = Prefix;
        int check = Math.Min(buffer.Length, prefix.Length);
        if (!buffer[..check].SequenceEqual(prefix[..check]))
        {
            consumed = SkipToNextBegin(buffer);
            return FixFrameStatus.BadHeader;
        }
        if (buffer.Length < prefix.Length) return FixFrameStatus.NeedMore;

        int pos = prefix.Length;
        int bodyLength = 0;
        int digits = 0;
        while (true)
        {
            if (pos >= buffer.Length) return digits > MaxBodyLengthDigits ? Garbled(buffer, out consumed) : FixFrameStatus.NeedMore;
            byte b = buffer[pos];
            if (b == Soh) break;
            if ((uint)(b - '0') > 9 || ++digits > MaxBodyLengthDigits) return Garbled(buffer, out consumed);
            bodyLength = bodyLength * 10 + (b - '0');
            pos++;
        }
        if (digits == 0) return Garbled(buffer, out consumed);
        bodyStart = pos + 1;
        bodyEnd = bodyStart + bodyLength;
        int total = bodyEnd + TrailerBytes;
        if (total > maxMessageBytes)
        {
            consumed = SkipToNextBegin(buffer);
            return FixFrameStatus.TooLarge;
        }
        if (buffer.Length < total) return FixFrameStatus.NeedMore;

        ReadOnlySpan<byte> trailer = buffer.Slice(bodyEnd, TrailerBytes);
        if (bodyLength == 0 || buffer[bodyEnd - 1] != Soh || trailer[0] != '1' || trailer[1] != '0' || trailer[2] != '=' || trailer[6] != Soh
            || (uint)(trailer[3] - '0') > 9 || (uint)(trailer[4] - '0') > 9 || (uint)(trailer[5] - '0') > 9)
        {
            consumed = SkipToNextBegin(buffer);
            return FixFrameStatus.BadBodyLength;
        }
        int declared = (trailer[3] - '0') * 100 + (trailer[4] - '0') * 10 + (trailer[5] - '0');
        consumed = total;
        return declared == Checksum(buffer[..bodyEnd]) ? FixFrameStatus.Complete : FixFrameStatus.BadChecksum;
    }

    /// <summary>Sum of the bytes modulo 256 (FIX CheckSum).</summary>
    public static int Checksum(ReadOnlySpan<byte> bytes)
    {
        uint sum = 0;
        foreach (byte b in bytes) sum += b;
        return (int)(sum & 0xFF);
    }

    private static FixFrameStatus Garbled(ReadOnlySpan<byte> buffer, out int consumed)
    {
        consumed = SkipToNextBegin(buffer);
        return FixFrameStatus.BadHeader;
    }

    /// <summary>
    /// Bytes to drop so the buffer starts at the next "8=FIX.4.4|9=" (at least 1). Not anchored on a preceding SOH:
    /// after junk the next real message may follow anything; inside a message the pattern cannot occur as a value
    /// (no value holds SOH) except as the tail of a tag ending in 8, which only matters while already resynchronising.
    /// </summary>
    private static int SkipToNextBegin(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length <= 1) return buffer.Length;
        ReadOnlySpan<byte> prefix = Prefix;
        int i = buffer[1..].IndexOf(prefix);
        if (i >= 0) return i + 1;
        // No full candidate yet: keep a tail that could be the start of one.
        return Math.Max(1, buffer.Length - (prefix.Length - 1));
    }
}
