using System.Text;
using Wallet.Gateway.Fix;

namespace Wallet.Fix.Tests;

/// <summary>Framing, field indexing and encoding, checked against hand-built bytes and each other.</summary>
public sealed class ParserTests
{
    private static byte[] Corpus(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "corpus", name + ".fix"));

    [Fact]
    public void Every_corpus_message_frames_and_parses()
    {
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "corpus"), "*.fix"))
        {
            byte[] bytes = File.ReadAllBytes(file);
            Assert.Equal(FixFrameStatus.Complete, FixFramer.Next(bytes, 4096, out int consumed, out int bodyStart, out int bodyEnd));
            Assert.Equal(bytes.Length, consumed);
            var m = new FixMessage(64);
            Assert.Equal(FixParseError.None, m.Parse(bytes, bodyStart, bodyEnd));
            Assert.True(m.Has(FixTag.MsgSeqNum));
        }
    }

    [Fact]
    public void Fields_are_read_in_place()
    {
        byte[] bytes = Corpus("transfer");
        FixFramer.Next(bytes, 4096, out _, out int bodyStart, out int bodyEnd);
        var m = new FixMessage(64);
        m.Parse(bytes, bodyStart, bodyEnd);
        Assert.True(m.MsgType.SequenceEqual("UT"u8));
        Assert.Equal(FixValue.Ok, m.TryGetUInt128(FixTag.TransferId, out UInt128 id));
        Assert.Equal((UInt128)7001, id);
        Assert.True(m.GetOrEmpty(FixTag.Amount).SequenceEqual("100.00"u8));
        Assert.Equal(FixValue.Missing, m.TryGetInt(FixTag.LedgerCode, out _));
    }

    [Fact]
    public void Partial_input_needs_more_and_a_bad_checksum_or_length_is_garbled()
    {
        byte[] bytes = Corpus("heartbeat");
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Equal(FixFrameStatus.NeedMore, FixFramer.Next(bytes.AsSpan(0, cut), 4096, out int consumed, out _, out _));
            Assert.Equal(0, consumed);
        }
        byte[] badSum = (byte[])bytes.Clone();
        badSum[^2] = (byte)(badSum[^2] == '9' ? '0' : badSum[^2] + 1);
        Assert.Equal(FixFrameStatus.BadChecksum, FixFramer.Next(badSum, 4096, out int skipped, out _, out _));
        Assert.Equal(bytes.Length, skipped);
        Assert.Equal(FixFrameStatus.TooLarge, FixFramer.Next(bytes, 40, out skipped, out _, out _));
        Assert.True(skipped >= 1);
    }

    [Theory]
    [InlineData("35=0|49=A|abc=1|", 1)]
    [InlineData("35=0|49=|", 2)]
    [InlineData("49=A|35=0|", 5)]
    [InlineData("35=0|4949|", 3)]
    [InlineData("35=0|0=1|", 1)]
    [InlineData("35=0|58=a|58=b|", 6)]
    public void Malformed_fields_are_classified(string body, int expected)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(body.Replace('|', '\u0001'));
        Assert.Equal((FixParseError)expected, new FixMessage(16).Parse(bytes, 0, bytes.Length));
    }

    [Fact]
    public void Too_many_fields_are_refused()
    {
        string body = "35=0|" + string.Concat(Enumerable.Range(1, 20).Select(i => $"{5000 + i}=x|"));
        byte[] bytes = Encoding.ASCII.GetBytes(body.Replace('|', '\u0001'));
        Assert.Equal(FixParseError.TooManyFields, new FixMessage(16).Parse(bytes, 0, bytes.Length));
    }

    [Fact]
    public void Encoded_messages_frame_back_with_the_same_fields()
    {
        byte[] buffer = new byte[1024];
        Span<byte> bodyBytes = stackalloc byte[256];
        var body = new FixBody(bodyBytes);
        body.AddId(FixTag.TransferId, UInt128.MaxValue);
        body.AddAmount(FixTag.Amount, -12345, 2);
        body.Add(FixTag.Text, "has\u0001soh"u8);
        int n = FixEncoder.Encode(buffer, "UR"u8, "WALLET"u8, "PARTNER1"u8, 42, 0, possDup: true, 1_000_000_000, body.Written);
        Assert.Equal(FixFrameStatus.Complete, FixFramer.Next(buffer.AsSpan(0, n), 4096, out int consumed, out int bodyStart, out int bodyEnd));
        Assert.Equal(n, consumed);
        var m = new FixMessage(32);
        Assert.Equal(FixParseError.None, m.Parse(buffer, bodyStart, bodyEnd));
        Assert.Equal(FixValue.Ok, m.TryGetInt(FixTag.MsgSeqNum, out int seq));
        Assert.Equal(42, seq);
        Assert.True(m.IsYes(FixTag.PossDupFlag));
        Assert.True(m.GetOrEmpty(FixTag.OrigSendingTime).SequenceEqual("19700101-00:00:01.000"u8));
        Assert.Equal(FixValue.Ok, m.TryGetUInt128(FixTag.TransferId, out UInt128 id));
        Assert.Equal(UInt128.MaxValue, id);
        Assert.True(m.GetOrEmpty(FixTag.Amount).SequenceEqual("-123.45"u8));
        Assert.True(m.GetOrEmpty(FixTag.Text).SequenceEqual("has soh"u8)); // SOH in a value cannot forge a field
    }

    [Theory]
    [InlineData("340282366920938463463374607431768211455", true)]
    [InlineData("340282366920938463463374607431768211456", false)]
    [InlineData("18446744073709551616", true)]
    [InlineData("", false)]
    [InlineData("-1", false)]
    [InlineData("1 ", false)]
    public void UInt128_text_is_strict(string text, bool ok)
    {
        Assert.Equal(ok, FixText.TryParseUInt128(Encoding.ASCII.GetBytes(text), out UInt128 value));
        if (ok) Assert.Equal(UInt128.Parse(text, System.Globalization.CultureInfo.InvariantCulture), value);
    }
}
