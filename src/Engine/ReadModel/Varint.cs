namespace Wallet.Engine.ReadModel;

/// <summary>
/// Unsigned LEB128 numbers (7 bits a byte, low first, at most 10 bytes for 64 bits) and their zigzag form for signed
/// ones, as the read model's compact rows store them. Reads are bounds-checked: a cut, over-long or too-large number
/// is <see cref="InvalidDataException"/> naming what was being read, never an out-of-range access.
/// </summary>
internal static class Varint
{
    public const int MaxBytes = 10;

    public static int WriteZigzag(Span<byte> destination, long value) =>
        Write(destination, (ulong)((value << 1) ^ (value >> 63)));

    public static int Write(Span<byte> destination, ulong value)
    {
        int at = 0;
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[at++] = (byte)value;
        return at;
    }

    public static long ReadZigzag(ReadOnlySpan<byte> source, ref int at, string what)
    {
        ulong z = Read(source, ref at, what);
        return (long)(z >> 1) ^ -(long)(z & 1);
    }

    /// <summary>A number that must not exceed <paramref name="max"/> (a field narrower than 64 bits).</summary>
    public static ulong ReadBounded(ReadOnlySpan<byte> source, ref int at, ulong max, string what)
    {
        ulong value = Read(source, ref at, what);
        if (value > max) throw Corrupt(what, $"a number above {max}");
        return value;
    }

    public static ulong Read(ReadOnlySpan<byte> source, ref int at, string what)
    {
        ulong value = 0;
        for (int i = 0; i < MaxBytes; i++)
        {
            if (at >= source.Length) throw Corrupt(what, "a value is cut short");
            byte b = source[at++];
            // The tenth byte holds bit 63 only: anything more would not fit 64 bits.
            if (i == MaxBytes - 1 && b > 1) throw Corrupt(what, "a number does not fit 64 bits");
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80) return value;
        }
        throw Corrupt(what, "a number does not fit 64 bits");
    }

    public static InvalidDataException Corrupt(string what, string detail) =>
        new($"read model: corrupt {what} row ({detail}); rebuild the view");
}
