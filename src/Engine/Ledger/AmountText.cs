namespace Wallet.Engine.Ledger;

/// <summary>
/// Exact conversion between decimal text and int64 minor units. Grammar (strict, culture-free):
/// <c>['-'] int ['.' frac]</c> where <c>int</c> is "0" or a nonzero ASCII digit followed by digits, and
/// <c>frac</c> is 1..scale ASCII digits. Never rounds, never uses floating point. See docs/PROTOCOL.md.
/// </summary>
public static class AmountText
{
    public const byte MaxScale = 18;

    /// <summary>Longest text <see cref="TryFormat"/> can produce: "-9.223372036854775808" style plus slack.</summary>
    public const int MaxFormattedLength = 22;

    private static readonly ulong[] PowersOfTen = BuildPowers();

    private static ulong[] BuildPowers()
    {
        var p = new ulong[20];
        p[0] = 1;
        for (var i = 1; i < p.Length; i++) p[i] = p[i - 1] * 10;
        return p;
    }

    public static bool TryParse(ReadOnlySpan<char> text, byte scale, out long minorUnits, out AmountParseError error)
        => TryParse(text, scale, allowNegative: false, out minorUnits, out error);

    public static bool TryParse(ReadOnlySpan<char> text, byte scale, bool allowNegative, out long minorUnits, out AmountParseError error)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, MaxScale);
        minorUnits = 0;
        error = Classify(text);
        if (error != AmountParseError.None) return false;

        var pos = 0;
        var negative = false;
        if (text[0] == '+')
        {
            error = AmountParseError.LeadingPlus;
            return false;
        }

        if (text[0] == '-')
        {
            if (!allowNegative)
            {
                error = AmountParseError.Negative;
                return false;
            }

            negative = true;
            pos = 1;
        }

        // Integer part: one or more digits.
        var intStart = pos;
        while (pos < text.Length && IsDigit(text[pos])) pos++;
        var intLength = pos - intStart;
        var fracStart = -1;
        var fracLength = 0;
        if (intLength == 0) return Fail(AmountParseError.BadSyntax, out error);
        if (pos < text.Length)
        {
            if (text[pos] != '.') return Fail(AmountParseError.BadSyntax, out error);
            pos++;
            fracStart = pos;
            while (pos < text.Length && IsDigit(text[pos])) pos++;
            fracLength = pos - fracStart;
            if (fracLength == 0 || pos != text.Length) return Fail(AmountParseError.BadSyntax, out error);
        }

        if (intLength > 1 && text[intStart] == '0') return Fail(AmountParseError.LeadingZero, out error);
        if (fracLength > scale) return Fail(AmountParseError.TooManyDecimals, out error);

        // Magnitude limit: 2^63 − 1 for positives, 2^63 for negatives (so long.MinValue round-trips).
        var limit = negative ? (ulong)long.MaxValue + 1 : (ulong)long.MaxValue;
        ulong magnitude = 0;
        for (var i = 0; i < intLength; i++)
        {
            if (!TryAppendDigit(ref magnitude, text[intStart + i], limit)) return Fail(AmountParseError.Overflow, out error);
        }

        for (var i = 0; i < scale; i++)
        {
            var c = i < fracLength ? text[fracStart + i] : '0';
            if (!TryAppendDigit(ref magnitude, c, limit)) return Fail(AmountParseError.Overflow, out error);
        }

        if (negative && magnitude == 0) return Fail(AmountParseError.BadSyntax, out error); // "-0" is not canonical.
        minorUnits = negative ? (long)(0UL - magnitude) : (long)magnitude;
        return true;
    }

    /// <summary>Canonical text: optional '-', integer part without redundant zeros, exactly <paramref name="scale"/> fraction digits.</summary>
    public static string Format(long minorUnits, byte scale)
    {
        Span<char> buffer = stackalloc char[MaxFormattedLength];
        var ok = TryFormat(buffer, minorUnits, scale, out var written);
        System.Diagnostics.Debug.Assert(ok);
        return new string(buffer[..written]);
    }

    public static bool TryFormat(Span<char> destination, long minorUnits, byte scale, out int charsWritten)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, MaxScale);
        charsWritten = 0;
        var negative = minorUnits < 0;
        var magnitude = negative ? 0UL - (ulong)minorUnits : (ulong)minorUnits;

        // Render digits right-to-left into a scratch buffer, then copy.
        Span<char> scratch = stackalloc char[MaxFormattedLength];
        var p = scratch.Length;
        for (var i = 0; i < scale; i++)
        {
            scratch[--p] = (char)('0' + (int)(magnitude % 10));
            magnitude /= 10;
        }

        if (scale > 0) scratch[--p] = '.';
        do
        {
            scratch[--p] = (char)('0' + (int)(magnitude % 10));
            magnitude /= 10;
        }
        while (magnitude != 0);

        if (negative) scratch[--p] = '-';
        var length = scratch.Length - p;
        if (destination.Length < length) return false;
        scratch[p..].CopyTo(destination);
        charsWritten = length;
        return true;
    }

    /// <summary>10^scale as a long (scale ≤ 18).</summary>
    public static long PowerOfTen(byte scale)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, MaxScale);
        return (long)PowersOfTen[scale];
    }

    private static AmountParseError Classify(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return AmountParseError.Empty;
        var exponent = false;
        var separator = false;
        var notANumber = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c)) return AmountParseError.Whitespace;
            if (IsDigit(c) || c == '.' || c == '+' || c == '-') continue;
            if (c == 'e' || c == 'E') exponent = true;
            else if (c == ',' || c == '_' || c == '\'') separator = true;
            else notANumber = true;
        }

        if (notANumber) return AmountParseError.NotANumber;
        if (exponent) return AmountParseError.Exponent;
        if (separator) return AmountParseError.BadSyntax;
        return AmountParseError.None;
    }

    private static bool IsDigit(char c) => (uint)(c - '0') <= 9;

    private static bool TryAppendDigit(ref ulong magnitude, char digit, ulong limit)
    {
        var d = (ulong)(digit - '0');
        if (magnitude > (limit - d) / 10) return false;
        magnitude = magnitude * 10 + d;
        return true;
    }

    private static bool Fail(AmountParseError reason, out AmountParseError error)
    {
        error = reason;
        return false;
    }
}
