using System.Buffers.Text;

namespace Wallet.Gateway.Fix;

/// <summary>
/// The fields of one received message as (tag, offset, length) triples over the receive buffer: no string and no
/// allocation per field. One instance per session, reused for every message; valid until the buffer is refilled.
/// Lookups scan linearly (messages carry a few dozen fields at most). A repeated tag is refused (the wallet's
/// messages have no repeating groups), so a lookup can never pick the wrong one of two values.
/// </summary>
internal sealed class FixMessage
{
    private readonly int[] _tags;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private byte[] _buffer = [];

    public FixMessage(int maxFields)
    {
        _tags = new int[maxFields];
        _offsets = new int[maxFields];
        _lengths = new int[maxFields];
    }

    public int FieldCount { get; private set; }
    /// <summary>The tag a parse error refers to (0 when unknown).</summary>
    public int ErrorTag { get; private set; }

    /// <summary>
    /// Indexes the body fields of a framed message: <paramref name="bodyStart"/> (first field after BodyLength)
    /// to <paramref name="bodyEnd"/> (the "10=" of CheckSum).
    /// </summary>
    public FixParseError Parse(byte[] buffer, int bodyStart, int bodyEnd)
    {
        _buffer = buffer;
        FieldCount = 0;
        ErrorTag = 0;
        int pos = bodyStart;
        while (pos < bodyEnd)
        {
            int tag = 0;
            int tagStart = pos;
            while (pos < bodyEnd && buffer[pos] != (byte)'=')
            {
                byte b = buffer[pos];
                if ((uint)(b - '0') > 9 || pos - tagStart >= 9)
                {
                    // Skip to the end of this field so ErrorTag stays 0 (the tag cannot be named).
                    return b == FixFramer.Soh ? FixParseError.MissingEquals : FixParseError.InvalidTagNumber;
                }
                tag = tag * 10 + (b - '0');
                pos++;
            }
            if (pos >= bodyEnd) return FixParseError.MissingEquals;
            if (tag == 0 || pos == tagStart) return FixParseError.InvalidTagNumber;
            int valueStart = ++pos;
            int soh = buffer.AsSpan(valueStart, bodyEnd - valueStart).IndexOf(FixFramer.Soh);
            if (soh < 0) return FixParseError.MissingEquals;
            if (soh == 0)
            {
                ErrorTag = tag;
                return FixParseError.TagWithoutValue;
            }
            if (FieldCount == _tags.Length) return FixParseError.TooManyFields;
            if (FieldCount == 0 && tag != FixTag.MsgType) return FixParseError.MsgTypeNotThird;
            if (IndexOf(tag) >= 0)
            {
                ErrorTag = tag;
                return FixParseError.DuplicateTag;
            }
            _tags[FieldCount] = tag;
            _offsets[FieldCount] = valueStart;
            _lengths[FieldCount] = soh;
            FieldCount++;
            pos = valueStart + soh + 1;
        }
        return FieldCount == 0 ? FixParseError.MsgTypeNotThird : FixParseError.None;
    }

    public ReadOnlySpan<byte> MsgType => FieldCount > 0 ? _buffer.AsSpan(_offsets[0], _lengths[0]) : default;

    public bool Has(int tag) => IndexOf(tag) >= 0;

    public bool TryGet(int tag, out ReadOnlySpan<byte> value)
    {
        int i = IndexOf(tag);
        value = i < 0 ? default : _buffer.AsSpan(_offsets[i], _lengths[i]);
        return i >= 0;
    }

    public ReadOnlySpan<byte> GetOrEmpty(int tag) => TryGet(tag, out ReadOnlySpan<byte> v) ? v : default;

    /// <summary>Field value as a non-negative int; <see cref="FixValue.Missing"/> or <see cref="FixValue.Malformed"/> otherwise.</summary>
    public FixValue TryGetInt(int tag, out int value)
    {
        value = 0;
        if (!TryGet(tag, out ReadOnlySpan<byte> v)) return FixValue.Missing;
        return FixText.TryParseNonNegativeInt(v, out value) ? FixValue.Ok : FixValue.Malformed;
    }

    public FixValue TryGetUInt128(int tag, out UInt128 value)
    {
        value = UInt128.Zero;
        if (!TryGet(tag, out ReadOnlySpan<byte> v)) return FixValue.Missing;
        return FixText.TryParseUInt128(v, out value) ? FixValue.Ok : FixValue.Malformed;
    }

    /// <summary>Boolean field: true only for "Y".</summary>
    public bool IsYes(int tag) => TryGet(tag, out ReadOnlySpan<byte> v) && v.Length == 1 && v[0] == (byte)'Y';

    private int IndexOf(int tag)
    {
        int[] tags = _tags;
        for (int i = 0; i < FieldCount; i++)
        {
            if (tags[i] == tag) return i;
        }
        return -1;
    }
}

/// <summary>Result of reading a typed field.</summary>
internal enum FixValue
{
    Ok = 0,
    Missing = 1,
    Malformed = 2,
}

/// <summary>Strict ASCII number parsing/formatting for FIX fields (no culture, no sign, no whitespace).</summary>
internal static class FixText
{
    public static bool TryParseNonNegativeInt(ReadOnlySpan<byte> v, out int value)
    {
        value = 0;
        if (v.IsEmpty || v.Length > 10) return false;
        long acc = 0;
        foreach (byte b in v)
        {
            if ((uint)(b - '0') > 9) return false;
            acc = acc * 10 + (b - '0');
        }
        if (acc > int.MaxValue) return false;
        value = (int)acc;
        return true;
    }

    /// <summary>Decimal digits only, 1..39 of them, value fits in 128 bits.</summary>
    public static bool TryParseUInt128(ReadOnlySpan<byte> v, out UInt128 value)
    {
        value = UInt128.Zero;
        if (v.IsEmpty || v.Length > 39) return false;
        foreach (byte b in v)
        {
            if ((uint)(b - '0') > 9) return false;
        }
        if (v.Length <= 19) return Utf8Parser.TryParse(v, out ulong small, out int used) && used == v.Length && Set(small, out value);
        UInt128 acc = UInt128.Zero;
        UInt128 limit = UInt128.MaxValue / 10;
        foreach (byte b in v)
        {
            uint d = (uint)(b - '0');
            if (acc > limit || (acc == limit && d > (uint)(UInt128.MaxValue % 10))) return false;
            acc = acc * 10 + d;
        }
        value = acc;
        return true;
    }

    private static bool Set(ulong small, out UInt128 value)
    {
        value = small;
        return true;
    }

    /// <summary>ASCII text of the amount: AmountText works on chars, the wire is bytes; widening is exact for ASCII.</summary>
    public static int Widen(ReadOnlySpan<byte> ascii, Span<char> chars)
    {
        int n = Math.Min(ascii.Length, chars.Length);
        for (int i = 0; i < n; i++) chars[i] = (char)ascii[i];
        return n;
    }
}
