using System.Net.Sockets;
using System.Text;

namespace Wallet.Gateway.Tests.Support;

/// <summary>
/// Just enough FIX 4.4 for process tests of the real executable (logon, a request, a report): tag=value frames with
/// '|' for SOH, body length and checksum computed. Shared by Gateway.Tests and Cluster.Tests (linked source).
/// </summary>
internal static class MiniFix
{
    public static byte[] Frame(string msgType, int seq, string body, string sender = "PARTNER1", string target = "WALLET")
    {
        string inner = $"35={msgType}|49={sender}|56={target}|34={seq}|52=20260101-00:00:00.000|{body}".Replace('|', '\u0001');
        string head = $"8=FIX.4.4\u00019={Encoding.ASCII.GetByteCount(inner)}\u0001" + inner;
        int sum = 0;
        foreach (byte b in Encoding.ASCII.GetBytes(head)) sum += b;
        return Encoding.ASCII.GetBytes(head + $"10={sum % 256:000}\u0001");
    }

    /// <summary>The next whole message, SOH shown as '|'.</summary>
    public static async Task<string> ReadAsync(Socket socket, StringBuilder buffer, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        byte[] chunk = new byte[4096];
        while (true)
        {
            string text = buffer.ToString();
            int end = text.IndexOf("\u000110=", StringComparison.Ordinal);
            if (end >= 0 && text.Length >= end + 8)
            {
                buffer.Remove(0, end + 8);
                return text[..(end + 8)].Replace('\u0001', '|');
            }
            int n = await socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
            if (n == 0) throw new EndOfStreamException("closed");
            buffer.Append(Encoding.ASCII.GetString(chunk, 0, n));
        }
    }

    /// <summary>Reads until a message of <paramref name="msgType"/> (heartbeats and others skipped).</summary>
    public static async Task<string> ReadTypeAsync(Socket socket, StringBuilder buffer, string msgType, TimeSpan timeout)
    {
        DateTime until = DateTime.UtcNow + timeout;
        while (true)
        {
            string m = await ReadAsync(socket, buffer, until - DateTime.UtcNow);
            if (m.Contains($"|35={msgType}|", StringComparison.Ordinal)) return m;
        }
    }

    /// <summary>The value of <paramref name="tag"/> in a message read by <see cref="ReadAsync"/>, or null.</summary>
    public static string? Field(string message, int tag)
    {
        string key = $"|{tag}=";
        int at = message.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return null;
        int start = at + key.Length, end = message.IndexOf('|', start);
        return end < 0 ? message[start..] : message[start..end];
    }
}
