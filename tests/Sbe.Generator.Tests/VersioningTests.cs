using V0 = Wallet.Sbe.Tests.V0;
using V1 = Wallet.Sbe.Tests.V1;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>Schema evolution: acting version and acting block length, in both directions.</summary>
public class VersioningTests
{
    private static int EncodeV0(byte[] buffer)
    {
        var order = V0.OrderEncoder.WrapAndApplyHeader(buffer, 0);
        order.OrderId = 42;
        order.Qty = -7;
        var fills = order.FillsCount(2);
        fills.Next();
        fills.Price = 1000;
        fills.Size = 3;
        fills.Next();
        fills.Price = 1001;
        fills.Size = 4;
        order.PutNote("v0 note");
        return order.Limit;
    }

    private static int EncodeV1(byte[] buffer)
    {
        var order = V1.OrderEncoder.WrapAndApplyHeader(buffer, 0);
        order.OrderId = 43;
        order.Qty = 9;
        order.Fee = 55;
        order.Side = V1.Side.Sell;
        var fills = order.FillsCount(2);
        fills.Next();
        fills.Price = 2000;
        fills.Size = 5;
        fills.FillId = 77;
        fills.Next();
        fills.Price = 2001;
        fills.Size = 6;
        fills.FillId = 78;
        order.PutNote("v1 note");
        order.PutTag("tag!");
        return order.Limit;
    }

    [Fact]
    public void Block_lengths_differ_between_versions()
    {
        Assert.Equal(12, V0.OrderEncoder.BlockLength);
        Assert.Equal(21, V1.OrderEncoder.BlockLength);
        Assert.Equal(12, V0.OrderEncoder.FillsEncoder.BlockLength);
        Assert.Equal(16, V1.OrderEncoder.FillsEncoder.BlockLength);
        Assert.Equal(1, V1.VersioningSchema.SchemaVersion);
    }

    [Fact]
    public void V1_decoder_reads_a_v0_message_with_new_fields_null()
    {
        byte[] buffer = new byte[256];
        int length = EncodeV0(buffer);
        var order = V1.OrderDecoder.WrapWithHeader(buffer.AsSpan(0, length), 0);
        Assert.Equal(0, order.ActingVersion);
        Assert.Equal(12, order.ActingBlockLength);
        Assert.Equal(42UL, order.OrderId);
        Assert.Equal(-7, order.Qty);
        Assert.False(order.FeeInActingVersion);
        Assert.True(order.FeeIsNull);
        Assert.Null(order.FeeOrNull);
        Assert.Equal(V1.OrderDecoder.FeeNullValue, order.Fee);
        Assert.Equal(long.MinValue, order.Fee);
        Assert.True(order.SideIsNull);
        Assert.Equal(V1.Side.NULL_VALUE, order.Side);

        var fills = order.Fills();
        Assert.Equal(2, fills.Count);
        Assert.Equal(12, fills.ActingBlockLength);
        Assert.True(fills.MoveNext());
        Assert.Equal(1000, fills.Price);
        Assert.Equal(3, fills.Size);
        Assert.True(fills.FillIdIsNull);
        Assert.Equal(uint.MaxValue, fills.FillId);
        Assert.True(fills.MoveNext());
        Assert.Equal(1001, fills.Price);
        Assert.Equal(4, fills.Size);
        Assert.False(fills.MoveNext());

        Assert.Equal("v0 note", order.GetNote());
        Assert.Equal(0, order.TagLength());
        Assert.Equal(string.Empty, order.GetTag());
        Assert.Equal(length, order.Limit);
    }

    [Fact]
    public void V0_decoder_reads_a_v1_message_skipping_unknown_trailing_fields()
    {
        byte[] buffer = new byte[256];
        int length = EncodeV1(buffer);
        var order = V0.OrderDecoder.WrapWithHeader(buffer.AsSpan(0, length), 0);
        Assert.Equal(1, order.ActingVersion);
        Assert.Equal(21, order.ActingBlockLength);
        Assert.Equal(43UL, order.OrderId);
        Assert.Equal(9, order.Qty);

        var fills = order.Fills();
        Assert.Equal(16, fills.ActingBlockLength);
        Assert.True(fills.MoveNext());
        Assert.Equal(2000, fills.Price);
        Assert.Equal(5, fills.Size);
        Assert.True(fills.MoveNext());
        Assert.Equal(2001, fills.Price);
        Assert.Equal(6, fills.Size);
        Assert.False(fills.MoveNext());

        Assert.Equal("v1 note", order.GetNote());
        // The v1 'tag' data is unknown to v0 and simply left unread after the limit.
        Assert.Equal(length - 2 - 4, order.Limit);
    }

    [Fact]
    public void V1_decoder_reads_a_v1_message_fully()
    {
        byte[] buffer = new byte[256];
        int length = EncodeV1(buffer);
        var order = V1.OrderDecoder.WrapWithHeader(buffer.AsSpan(0, length), 0);
        Assert.Equal(55, order.Fee);
        Assert.Equal(55L, order.FeeOrNull);
        Assert.Equal(V1.Side.Sell, order.Side);
        var fills = order.Fills();
        Assert.True(fills.MoveNext());
        Assert.Equal(77U, fills.FillId);
        Assert.True(fills.MoveNext());
        Assert.Equal(78U, fills.FillId);
        Assert.False(fills.MoveNext());
        Assert.Equal("v1 note", order.GetNote());
        Assert.Equal("tag!", order.GetTag());
        Assert.Equal(length, order.Limit);
    }

    [Fact]
    public void Decoder_rejects_a_header_of_another_schema_or_template()
    {
        byte[] buffer = new byte[256];
        int length = EncodeV0(buffer);
        Assert.True(V1.OrderDecoder.TryWrapWithHeader(buffer.AsSpan(0, length), 0, out _));
        buffer[2] = 99; // templateId
        Assert.False(V1.OrderDecoder.TryWrapWithHeader(buffer.AsSpan(0, length), 0, out _));
        Assert.Throws<InvalidOperationException>(() => V1.OrderDecoder.WrapWithHeader(buffer.AsSpan(0, length), 0));
        buffer[2] = 1;
        buffer[4] = 8; // schemaId
        Assert.False(V0.OrderDecoder.TryWrapWithHeader(buffer.AsSpan(0, length), 0, out _));
        Assert.False(V0.OrderDecoder.TryWrapWithHeader(buffer.AsSpan(0, 4), 0, out _));
    }
}
