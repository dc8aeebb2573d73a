using System.Buffers.Text;

namespace Wallet.Gateway.Fix;

/// <summary>
/// Frames a whole message into a destination span: BeginString, BodyLength, the standard header (MsgType,
/// SenderCompID, TargetCompID, MsgSeqNum, SendingTime, and for a resend PossDupFlag + OrigSendingTime), the body
/// fields, and CheckSum. The header is written after the body's room is known, then the span is compacted, so the
/// message starts at offset 0 and nothing is allocated.
/// </summary>
internal static class FixEncoder
{
    /// <summary>"8=FIX.4.4|9=nnnnnnn|".</summary>
    private const int MaxPrefixBytes = 20;
    private static ReadOnlySpan<byte> BeginString => "8=FIX.4.4\u00019="u8;

    /// <summary>Header fields beyond the prefix, worst case (CompIDs bounded by <see cref="FixOptions.MaxCompIdBytes"/>).</summary>
    public static int MaxHeaderBytes(int senderBytes, int targetBytes) =>
        MaxPrefixBytes + 8 + 4 + senderBytes + 4 + targetBytes + 4 + 11 + 4 + FixTime.Length + 5 + 5 + FixTime.Length + 2;

    public static int MaxMessageBytes(int senderBytes, int targetBytes, int bodyBytes) =>
        MaxHeaderBytes(senderBytes, targetBytes) + bodyBytes + FixFramer.TrailerBytes;

    /// <summary>Writes the message; returns its length, or 0 when <paramref name="destination"/> is too small.</summary>
    public static int Encode(Span<byte> destination, ReadOnlySpan<byte> msgType, ReadOnlySpan<byte> senderCompId, ReadOnlySpan<byte> targetCompId,
        int seqNum, long sendingTimeNs, bool possDup, long origSendingTimeNs, ReadOnlySpan<byte> bodyFields)
    {
        if (destination.Length < MaxPrefixBytes + 1) return 0;
        var header = new FixBody(destination[MaxPrefixBytes..]);
        header.Add(FixTag.MsgType, msgType);
        header.Add(FixTag.SenderCompId, senderCompId);
        header.Add(FixTag.TargetCompId, targetCompId);
        header.Add(FixTag.MsgSeqNum, seqNum);
        if (possDup) header.AddChar(FixTag.PossDupFlag, 'Y');
        header.AddTime(FixTag.SendingTime, sendingTimeNs);
        if (possDup) header.AddTime(FixTag.OrigSendingTime, origSendingTimeNs);
        header.AddRaw(bodyFields);
        if (header.Overflowed) return 0;
        int bodyLength = header.Length;

        Span<byte> prefix = stackalloc byte[MaxPrefixBytes];
        BeginString.CopyTo(prefix);
        int p = BeginString.Length;
        Utf8Formatter.TryFormat(bodyLength, prefix[p..], out int digits);
        p += digits;
        prefix[p++] = FixFramer.Soh;

        // Move the body left so the message starts at 0, then put the prefix in front.
        destination.Slice(MaxPrefixBytes, bodyLength).CopyTo(destination[p..]);
        prefix[..p].CopyTo(destination);
        int end = p + bodyLength;
        if (destination.Length - end < FixFramer.TrailerBytes) return 0;
        int sum = FixFramer.Checksum(destination[..end]);
        destination[end] = (byte)'1';
        destination[end + 1] = (byte)'0';
        destination[end + 2] = (byte)'=';
        destination[end + 3] = (byte)('0' + sum / 100);
        destination[end + 4] = (byte)('0' + sum / 10 % 10);
        destination[end + 5] = (byte)('0' + sum % 10);
        destination[end + 6] = FixFramer.Soh;
        return end + FixFramer.TrailerBytes;
    }
}
