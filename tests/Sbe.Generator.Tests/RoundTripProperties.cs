using FsCheck.Xunit;
using Wallet.Sbe.Tests.Features;

namespace Wallet.Sbe.Generator.Tests;

/// <summary>encode(random values) → decode → equal, for every primitive type, a group with a nested group, and var data.</summary>
public class RoundTripProperties
{
    [Property(MaxTest = 300)]
    public bool Every_primitive_round_trips(
        byte c, sbyte i8, short i16, int i32, long i64, byte u8, ushort u16, uint u32, ulong u64, float f32, double f64)
    {
        byte[] buffer = new byte[256];
        var enc = AllTypesEncoder.WrapAndApplyHeader(buffer, 3);
        enc.C = c;
        enc.I8 = i8;
        enc.I16 = i16;
        enc.I32 = i32;
        enc.I64 = i64;
        enc.U8 = u8;
        enc.U16 = u16;
        enc.U32 = u32;
        enc.U64 = u64;
        enc.F32 = f32;
        enc.F64 = f64;
        enc.EntriesCount(0);
        enc.PutD8(ReadOnlySpan<byte>.Empty);
        enc.PutD16(ReadOnlySpan<byte>.Empty);
        enc.PutD32(ReadOnlySpan<byte>.Empty);

        var dec = AllTypesDecoder.WrapWithHeader(buffer, 3);
        return dec.C == c && dec.I8 == i8 && dec.I16 == i16 && dec.I32 == i32 && dec.I64 == i64 && dec.U8 == u8 &&
               dec.U16 == u16 && dec.U32 == u32 && dec.U64 == u64 &&
               BitConverter.SingleToInt32Bits(dec.F32) == BitConverter.SingleToInt32Bits(f32) &&
               BitConverter.DoubleToInt64Bits(dec.F64) == BitConverter.DoubleToInt64Bits(f64) &&
               dec.Entries().Count == 0 && dec.GetD8Bytes().IsEmpty && dec.GetD16Bytes().IsEmpty && dec.GetD32Bytes().IsEmpty &&
               dec.Limit == enc.Limit;
    }

    [Property(MaxTest = 200)]
    public bool Groups_and_var_data_round_trip(long[] a, double[] b, byte[] inner, byte[] blob)
    {
        a ??= [];
        b ??= [];
        inner ??= [];
        blob ??= [];
        int count = Math.Min(Math.Min(a.Length, b.Length), 20);
        int innerCount = Math.Min(inner.Length, 254);
        byte[] buffer = new byte[64 + (count * (16 + 2 + 254 + 1 + 2)) + 2048 + blob.Length];
        var enc = AllTypesEncoder.WrapAndApplyHeader(buffer, 0);
        var entries = enc.EntriesCount(count);
        for (int i = 0; i < count; i++)
        {
            entries.Next();
            entries.A = a[i];
            entries.B = b[i];
            var g = entries.InnerCount(i % 2 == 0 ? innerCount : 0);
            for (int j = 0; j < g.Count; j++)
            {
                g.Next();
                g.X = inner[j];
            }

            entries.PutEntryNote(blob.AsSpan(0, Math.Min(blob.Length, i)));
        }

        enc.PutD8(blob.AsSpan(0, Math.Min(blob.Length, 254)));
        enc.PutD16(blob);
        enc.PutD32(blob);

        var dec = AllTypesDecoder.WrapWithHeader(buffer, 0);
        var group = dec.Entries();
        if (group.Count != count)
        {
            return false;
        }

        int index = 0;
        while (group.MoveNext())
        {
            if (group.A != a[index] || BitConverter.DoubleToInt64Bits(group.B) != BitConverter.DoubleToInt64Bits(b[index]))
            {
                return false;
            }

            var g = group.Inner();
            if (g.Count != (index % 2 == 0 ? innerCount : 0))
            {
                return false;
            }

            int j = 0;
            while (g.MoveNext())
            {
                if (g.X != inner[j++])
                {
                    return false;
                }
            }

            if (!group.GetEntryNoteBytes().SequenceEqual(blob.AsSpan(0, Math.Min(blob.Length, index))))
            {
                return false;
            }

            index++;
        }

        return dec.GetD8Bytes().SequenceEqual(blob.AsSpan(0, Math.Min(blob.Length, 254))) &&
               dec.GetD16Bytes().SequenceEqual(blob) &&
               dec.GetD32Bytes().SequenceEqual(blob) &&
               dec.Limit == enc.Limit;
    }
}
