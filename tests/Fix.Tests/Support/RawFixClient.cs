using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Wallet.Fix.Tests.Support;

/// <summary>
/// A deliberately simple FIX client for tests: builds messages from "tag=value|" text (| becomes SOH), computes
/// BodyLength and CheckSum unless told to corrupt them, keeps its own MsgSeqNum, and reads whole messages with a
/// timeout. Independent of the gateway's own encoder/parser so the two check each other.
/// </summary>
public sealed class RawFixClient : IAsyncDisposable
{
    private const int ReceiveTimeoutMs = 10_000;
    private readonly Socket _socket;
    private readonly List<byte> _buffer = [];

    private RawFixClient(Socket socket) => _socket = socket;

    public string SenderCompId { get; set; } = FixFixture.PartnerCompId;
    public string TargetCompId { get; set; } = FixFixture.OurCompId;
    public int NextSeq { get; set; } = 1;

    public static async Task<RawFixClient> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(ReceiveTimeoutMs);
        await socket.ConnectAsync(endpoint, cts.Token);
        return new RawFixClient(socket);
    }

    /// <summary>Full message text for <paramref name="msgType"/> with a standard header; returns the seq used.</summary>
    public static byte[] Build(string msgType, string sender, string target, int seq, string body, int bodyLengthDelta = 0, int checksumDelta = 0, string extraHeader = "")
    {
        string inner = $"35={msgType}|49={sender}|56={target}|34={seq}|{extraHeader}52={DateTime.UtcNow:yyyyMMdd-HH:mm:ss.fff}|{body}".Replace('|', '\u0001');
        return Frame(inner, bodyLengthDelta, checksumDelta);
    }

    public static byte[] Frame(string inner, int bodyLengthDelta = 0, int checksumDelta = 0)
    {
        byte[] innerBytes = Encoding.ASCII.GetBytes(inner);
        string head = $"8=FIX.4.4\u00019={innerBytes.Length + bodyLengthDelta}\u0001";
        byte[] withoutTrailer = [.. Encoding.ASCII.GetBytes(head), .. innerBytes];
        int sum = 0;
        foreach (byte b in withoutTrailer) sum += b;
        sum = ((sum + checksumDelta) % 256 + 256) % 256;
        return [.. withoutTrailer, .. Encoding.ASCII.GetBytes($"10={sum:000}\u0001")];
    }

    public int Send(string msgType, string body, string extraHeader = "")
    {
        int seq = NextSeq++;
        SendRaw(Build(msgType, SenderCompId, TargetCompId, seq, body, extraHeader: extraHeader));
        return seq;
    }

    public void SendRaw(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length) sent += _socket.Send(bytes.AsSpan(sent));
    }

    /// <summary>The next whole message; throws TimeoutException when none arrives in time.</summary>
    public async Task<FixReply> ReceiveAsync(int timeoutMs = ReceiveTimeoutMs)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        byte[] chunk = new byte[4096];
        while (true)
        {
            FixReply? reply = TryTake();
            if (reply is not null) return reply;
            int n;
            try
            {
                n = await _socket.ReceiveAsync(chunk, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no FIX message within " + timeoutMs + " ms");
            }
            if (n == 0) throw new EndOfStreamException("connection closed by the gateway");
            _buffer.AddRange(chunk.AsSpan(0, n));
        }
    }

    /// <summary>Messages until one of type <paramref name="msgType"/> (others skipped, e.g. heartbeats).</summary>
    public async Task<FixReply> ReceiveTypeAsync(string msgType, int timeoutMs = ReceiveTimeoutMs)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int left = (int)Math.Max(1, deadline - Environment.TickCount64);
            FixReply r = await ReceiveAsync(left);
            if (r.MsgType == msgType) return r;
        }
    }

    /// <summary>True when the gateway closed the connection within the timeout (messages before that are skipped).</summary>
    public async Task<bool> ClosedAsync(int timeoutMs = ReceiveTimeoutMs)
    {
        try
        {
            var deadline = Environment.TickCount64 + timeoutMs;
            while (true) await ReceiveAsync((int)Math.Max(1, deadline - Environment.TickCount64));
        }
        catch (EndOfStreamException) { return true; }
        catch (SocketException) { return true; }
        catch (TimeoutException) { return false; }
    }

    /// <summary>Asserts that nothing arrives for <paramref name="quietMs"/> (heartbeats excepted).</summary>
    public async Task AssertSilentAsync(int quietMs = 300)
    {
        try
        {
            FixReply r = await ReceiveAsync(quietMs);
            if (r.MsgType != "0") Assert.Fail("expected no answer but got " + r);
        }
        catch (TimeoutException) { }
    }

    private FixReply? TryTake()
    {
        byte[] data = [.. _buffer];
        string text = Encoding.ASCII.GetString(data);
        int end = text.IndexOf("\u000110=", StringComparison.Ordinal);
        if (end < 0 || text.Length < end + 8) return null;
        string message = text[..(end + 8)];
        _buffer.RemoveRange(0, end + 8);
        // Every message from the gateway must be well framed: BodyLength and CheckSum are checked independently here.
        int sum = 0;
        for (int i = 0; i <= end; i++) sum += data[i];
        Assert.Equal((sum % 256).ToString("000", System.Globalization.CultureInfo.InvariantCulture), message[(end + 4)..(end + 7)]);
        int bodyStart = message.IndexOf('\u0001', message.IndexOf("\u00019=", StringComparison.Ordinal) + 1) + 1;
        int declared = int.Parse(message[(message.IndexOf("\u00019=", StringComparison.Ordinal) + 3)..(bodyStart - 1)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(end + 1 - bodyStart, declared);
        return FixReply.Parse(message);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.Yield();
        _socket.Dispose();
    }
}

/// <summary>A received message: fields by tag (first occurrence), plus the raw text with SOH shown as |.</summary>
public sealed class FixReply
{
    private readonly Dictionary<int, string> _fields = [];

    public string Raw { get; private init; } = "";
    public string MsgType => this[35];
    public int Seq => int.Parse(this[34], System.Globalization.CultureInfo.InvariantCulture);

    public string this[int tag] => _fields.TryGetValue(tag, out string? v) ? v : "<missing " + tag + ">";
    public bool Has(int tag) => _fields.ContainsKey(tag);

    public static FixReply Parse(string message)
    {
        var reply = new FixReply { Raw = message.Replace('\u0001', '|') };
        foreach (string field in message.Split('\u0001', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = field.IndexOf('=', StringComparison.Ordinal);
            int tag = int.Parse(field.AsSpan(0, eq), System.Globalization.CultureInfo.InvariantCulture);
            reply._fields.TryAdd(tag, field[(eq + 1)..]);
        }
        return reply;
    }

    public override string ToString() => Raw;
}
