using System.Buffers.Binary;
using Wallet.Sbe.Tests.Features;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>Optional/null values, explicit offsets and padding, sets, enums, decimals, arrays, nested groups, var data prefixes.</summary>
public class FeatureTests
{
    [Fact]
    public void Optional_fields_expose_their_null_values()
    {
        byte[] buffer = new byte[128];
        var enc = OptionalsEncoder.WrapAndApplyHeader(buffer, 0);
        enc.SetOptU32Null();
        enc.SetOptI64Null();
        enc.SetOptF64Null();
        enc.Level = Level.NULL_VALUE;
        var dec = OptionalsDecoder.WrapWithHeader(buffer, 0);
        Assert.True(dec.OptU32IsNull);
        Assert.Null(dec.OptU32OrNull);
        Assert.Equal(uint.MaxValue, dec.OptU32);
        Assert.True(dec.OptI64IsNull);
        Assert.Equal(0L, OptionalsDecoder.OptI64NullValue); // schema nullValue="0" overrides the int64 default
        Assert.True(dec.OptF64IsNull);
        Assert.True(double.IsNaN(dec.OptF64));
        Assert.True(dec.LevelIsNull);
        Assert.Equal(Level.NULL_VALUE, dec.Level);
        Assert.Equal((sbyte)-128, (sbyte)dec.Level);
    }

    [Fact]
    public void Optional_fields_with_values_are_not_null()
    {
        byte[] buffer = new byte[128];
        var enc = OptionalsEncoder.WrapAndApplyHeader(buffer, 0);
        enc.OptU32 = 5;
        enc.OptI64 = -9;
        enc.OptF64 = 2.5;
        enc.Level = Level.Low;
        var dec = OptionalsDecoder.WrapWithHeader(buffer, 0);
        Assert.Equal(5U, dec.OptU32OrNull);
        Assert.Equal(-9L, dec.OptI64OrNull);
        Assert.Equal(2.5, dec.OptF64OrNull);
        Assert.False(dec.LevelIsNull);
        Assert.Equal(Level.Low, dec.Level);
        Assert.Equal((sbyte)-1, dec.LevelRaw);
    }

    [Fact]
    public void Explicit_offset_and_block_length_pad_with_zeros()
    {
        byte[] buffer = new byte[128];
        buffer.AsSpan().Fill(0xEE);
        var enc = OptionalsEncoder.WrapAndApplyHeader(buffer, 0);
        enc.Venue = Venue.Xlon;
        enc.Flags16 = Flags16.A | Flags16.B;
        enc.Flags64 = Flags64.High;
        PriceEncoderHelper.Set(enc.Price, 123456);
        enc.SetTriple(0, -1);
        enc.SetTriple(2, 300);
        enc.SetCode("AB");
        Assert.Equal(64, OptionalsEncoder.BlockLength);
        Assert.Equal(8 + 64, enc.Limit);
        Assert.Equal(64, BinaryPrimitives.ReadUInt16LittleEndian(buffer));
        Span<byte> body = buffer.AsSpan(8, 64);
        Assert.Equal(new byte[] { 0, 0, 0 }, body.Slice(21, 3).ToArray()); // gap before venue (offset 24)
        Assert.Equal(2000, BinaryPrimitives.ReadUInt16LittleEndian(body[24..]));
        Assert.Equal(0x8001, BinaryPrimitives.ReadUInt16LittleEndian(body[26..]));
        Assert.Equal(1UL << 63, BinaryPrimitives.ReadUInt64LittleEndian(body[28..]));
        Assert.Equal(123456L, BinaryPrimitives.ReadInt64LittleEndian(body[36..]));
        Assert.Equal(-1, BinaryPrimitives.ReadInt16LittleEndian(body[44..]));
        Assert.Equal(0, BinaryPrimitives.ReadInt16LittleEndian(body[46..]));
        Assert.Equal(300, BinaryPrimitives.ReadInt16LittleEndian(body[48..]));
        Assert.Equal("AB\0\0"u8.ToArray(), body.Slice(50, 4).ToArray());
        Assert.True(body[54..].ToArray().All(b => b == 0)); // trailing blockLength padding
        Assert.Equal((byte)0xEE, buffer[72]); // nothing written past the block

        var dec = OptionalsDecoder.WrapWithHeader(buffer, 0);
        Assert.Equal(Venue.Xlon, dec.Venue);
        Assert.Equal(Venue.Xlon, dec.VenueConst);
        Assert.Equal(Flags16.A | Flags16.B, dec.Flags16);
        Assert.Equal(Flags64.High, dec.Flags64);
        Assert.Equal(123456L, dec.Price.Mantissa);
        Assert.Equal(-4, dec.Price.Exponent);
        Assert.Equal(-1, dec.GetTriple(0));
        Assert.Equal(300, dec.GetTriple(2));
        Assert.Equal("AB", dec.GetCode());
        Span<byte> code = stackalloc byte[4];
        Assert.Equal(2, dec.GetCode(code));
        Assert.Equal(8 + 64, dec.Limit);
    }

    [Fact]
    public void Char_array_longer_than_its_length_is_rejected()
    {
        byte[] buffer = new byte[128];
        Assert.Throws<ArgumentException>(() => OptionalsEncoder.WrapAndApplyHeader(buffer, 0).SetCode("ABCDE"));
    }

    [Fact]
    public void Var_data_length_prefixes_are_uint8_uint16_uint32()
    {
        byte[] buffer = new byte[1024];
        var enc = AllTypesEncoder.WrapAndApplyHeader(buffer, 0);
        enc.EntriesCount(0);
        int start = enc.Limit;
        enc.PutD8("abc");
        enc.PutD16(new byte[300]);
        enc.PutD32(new byte[] { 1, 2, 3, 4, 5 });
        Assert.Equal(3, buffer[start]);
        Assert.Equal(300, BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(start + 1 + 3)));
        Assert.Equal(5U, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(start + 1 + 3 + 2 + 300)));
        Assert.Equal(start + 1 + 3 + 2 + 300 + 4 + 5, enc.Limit);
        Assert.Equal(254, AllTypesEncoder.D8MaxLength);
        Assert.Equal(65534, AllTypesEncoder.D16MaxLength);
        Assert.Equal(1073741824, AllTypesEncoder.D32MaxLength);
        Assert.Throws<ArgumentException>(() => AllTypesEncoder.WrapAndApplyHeader(new byte[1024], 0).PutD8(new byte[255]));

        var dec = AllTypesDecoder.WrapWithHeader(buffer, 0);
        dec.Entries().Skip();
        Assert.Equal("abc", dec.GetD8());
        Assert.Equal(300, dec.GetD16Bytes().Length);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, dec.GetD32Bytes().ToArray());
        Assert.Equal(enc.Limit, dec.Limit);
    }

    [Fact]
    public void Nested_groups_with_uint8_dimensions_round_trip_and_can_be_skipped()
    {
        byte[] buffer = new byte[1024];
        var enc = AllTypesEncoder.WrapAndApplyHeader(buffer, 0);
        var entries = enc.EntriesCount(3);
        for (int i = 0; i < 3; i++)
        {
            entries.Next();
            entries.A = i;
            entries.B = i / 2.0;
            var inner = entries.InnerCount(i);
            for (int j = 0; j < i; j++)
            {
                inner.Next();
                inner.X = (byte)(10 * i + j);
            }

            entries.PutEntryNote("n" + i);
        }

        enc.PutD8("end");
        Assert.Throws<ArgumentOutOfRangeException>(() => AllTypesEncoder.WrapAndApplyHeader(new byte[1024], 0).EntriesCount(0).InnerCount(255));

        var dec = AllTypesDecoder.WrapWithHeader(buffer, 0);
        var groups = dec.Entries();
        int seen = 0;
        foreach (var e in groups)
        {
            Assert.Equal(seen, e.A);
            Assert.Equal(seen / 2.0, e.B);
            var inner = e.Inner();
            Assert.Equal(seen, inner.Count);
            int k = 0;
            while (inner.MoveNext())
            {
                Assert.Equal((byte)(10 * seen + k), inner.X);
                k++;
            }

            Assert.Equal("n" + seen, e.GetEntryNote());
            seen++;
        }

        Assert.Equal(3, seen);
        Assert.Equal("end", dec.GetD8());

        // Skipping the whole group (nested groups and var data included) lands on the same limit.
        var skipper = AllTypesDecoder.WrapWithHeader(buffer, 0);
        skipper.Entries().Skip();
        Assert.Equal("end", skipper.GetD8());
        Assert.Equal(dec.Limit, skipper.Limit);
    }

    private static class PriceEncoderHelper
    {
        public static void Set(Decimal4Encoder price, long mantissa) => price.Mantissa = mantissa;
    }
}
