using System.Text;
using Wallet.Gateway.Fix;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// A FIX partner's byte stream: <see cref="FixFramer.Next"/> must always make progress and stay inside the buffer,
/// accept a frame only if its CheckSum(10) really matches, and <see cref="FixMessage.Parse"/> plus the session's
/// lookups must handle whatever body it framed.
/// </summary>
internal static class FixTarget
{
    private const int MaxMessageBytes = 4096;
    private static readonly FixMessage s_message = new(64);

    public static void Run(ReadOnlySpan<byte> input)
    {
        byte[] buffer = input.ToArray(); // the parser works over the session's receive array
        int offset = 0;
        while (offset < buffer.Length)
        {
            FixFrameStatus s = FixFramer.Next(buffer.AsSpan(offset), MaxMessageBytes, out int consumed, out int bodyStart, out int bodyEnd);
            if (s == FixFrameStatus.NeedMore)
            {
                if (consumed != 0) throw new FuzzFinding("FixFramer: NeedMore consumed bytes");
                return;
            }
            if (consumed < 1 || consumed > buffer.Length - offset) throw new FuzzFinding($"FixFramer: {s} consumed {consumed} of {buffer.Length - offset}");
            if (s == FixFrameStatus.Complete)
            {
                if (bodyStart < 0 || bodyStart > bodyEnd || bodyEnd + 7 > consumed) throw new FuzzFinding("FixFramer: body bounds outside the frame");
                int sum = 0;
                for (int i = 0; i < bodyEnd; i++) sum += buffer[offset + i];
                ReadOnlySpan<byte> declared = buffer.AsSpan(offset + bodyEnd + 3, 3);
                if (declared[0] - '0' is < 0 or > 9 || declared[1] - '0' is < 0 or > 9 || declared[2] - '0' is < 0 or > 9)
                    throw new FuzzFinding("FixFramer: accepted a non-numeric CheckSum");
                if (sum % 256 != (declared[0] - '0') * 100 + (declared[1] - '0') * 10 + (declared[2] - '0'))
                    throw new FuzzFinding("FixFramer: accepted a wrong CheckSum");
                FixParseError e = s_message.Parse(buffer, offset + bodyStart, offset + bodyEnd);
                if (e == FixParseError.None)
                {
                    if (s_message.FieldCount < 1) throw new FuzzFinding("FixMessage: parsed without fields");
                    _ = s_message.MsgType.Length;
                    s_message.TryGetInt(FixTag.MsgSeqNum, out _);
                    s_message.TryGetUInt128(FixTag.TransferId, out _);
                    s_message.IsYes(FixTag.PossDupFlag);
                }
            }
            offset += consumed;
        }
    }

    public static IReadOnlyList<byte[]> Seeds()
    {
        string[] bodies =
        [
            "35=A|49=PARTNER1|56=WALLET|34=1|52=20260101-12:00:00.000|98=0|108=30|141=Y|553=partner1|554=secret|",
            "35=0|49=PARTNER1|56=WALLET|34=2|52=20260101-12:00:01.000|",
            "35=UT|49=PARTNER1|56=WALLET|34=9|52=20260101-12:00:00.000|5001=7001|5002=1|5003=1001|5004=100.00|15=USD|",
            "35=2|49=PARTNER1|56=WALLET|34=3|52=20260101-12:00:02.000|7=1|16=0|",
            "35=4|49=PARTNER1|56=WALLET|34=4|43=Y|52=20260101-12:00:03.000|122=20260101-12:00:00.000|123=Y|36=7|",
            "35=5|49=PARTNER1|56=WALLET|34=5|52=20260101-12:00:04.000|58=bye|",
        ];
        var seeds = new List<byte[]>();
        foreach (string b in bodies) seeds.Add(Frame(b));
        seeds.Add([.. Frame(bodies[1]), .. Frame(bodies[2])]); // two messages in one read
        return seeds;
    }

    /// <summary>8=FIX.4.4|9=len|body|10=sum| with SOH separators.</summary>
    private static byte[] Frame(string body)
    {
        byte[] b = Encoding.ASCII.GetBytes(body.Replace('|', '\u0001'));
        byte[] head = Encoding.ASCII.GetBytes($"8=FIX.4.4\u00019={b.Length}\u0001");
        byte[] msg = [.. head, .. b];
        int sum = 0;
        foreach (byte x in msg) sum += x;
        return [.. msg, .. Encoding.ASCII.GetBytes($"10={sum % 256:D3}\u0001")];
    }
}
