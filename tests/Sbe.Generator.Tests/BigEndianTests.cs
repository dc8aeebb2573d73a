using Wallet.Sbe.Tests.BigEndian;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>byteOrder="bigEndian": bytes computed by hand from the schema.</summary>
public class BigEndianTests
{
    private static readonly byte[] Expected =
    [
        0x00, 0x12, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, // header: blockLength 18, templateId 2, schemaId 3, version 0
        0x01, 0x02, 0x03, 0x04, // id uint32 0x01020304
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, // price int64 -2
        0x0A, 0x0B, // qty uint16 0x0A0B
        0x3F, 0x80, 0x00, 0x00, // ratio float 1.0
        0x00, 0x02, 0x00, 0x02, // legs: blockLength 2, numInGroup 2
        0x00, 0x01, // leg 1
        0xFF, 0xFF, // leg -1
        0x02, 0x68, 0x69, // text: uint8 length 2, "hi"
    ];

    [Fact]
    public void Encodes_the_hand_computed_bytes()
    {
        byte[] buffer = new byte[64];
        var quote = QuoteEncoder.WrapAndApplyHeader(buffer, 0);
        quote.Id = 0x01020304;
        quote.Price = -2;
        quote.Qty = 0x0A0B;
        quote.Ratio = 1.0f;
        var legs = quote.LegsCount(2);
        legs.Next();
        legs.Leg = 1;
        legs.Next();
        legs.Leg = -1;
        quote.PutText("hi");
        Assert.Equal(Expected, buffer[..quote.Limit]);
        Assert.True(BigendSchema.IsBigEndian);
    }

    [Fact]
    public void Decodes_the_hand_computed_bytes()
    {
        var quote = QuoteDecoder.WrapWithHeader(Expected, 0);
        Assert.Equal(0x01020304U, quote.Id);
        Assert.Equal(-2L, quote.Price);
        Assert.Equal(0x0A0B, quote.Qty);
        Assert.Equal(1.0f, quote.Ratio);
        var legs = quote.Legs();
        Assert.Equal(2, legs.Count);
        Assert.True(legs.MoveNext());
        Assert.Equal(1, legs.Leg);
        Assert.True(legs.MoveNext());
        Assert.Equal(-1, legs.Leg);
        Assert.False(legs.MoveNext());
        Assert.Equal("hi", quote.GetText());
        Assert.Equal(Expected.Length, quote.Limit);
    }
}
