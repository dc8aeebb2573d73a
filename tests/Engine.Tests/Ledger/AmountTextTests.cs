using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Wallet.Engine.Ledger;

namespace Wallet.Engine.Tests.Ledger;

public sealed class AmountTextTests
{
    [Theory]
    [InlineData("0", 2, 0L)]
    [InlineData("1", 2, 100L)]
    [InlineData("1.5", 2, 150L)]
    [InlineData("1.50", 2, 150L)]
    [InlineData("0.01", 2, 1L)]
    [InlineData("123456", 0, 123456L)]
    [InlineData("0.00000001", 8, 1L)]
    [InlineData("92233720368547758.07", 2, long.MaxValue)]
    [InlineData("9.223372036854775807", 18, long.MaxValue)]
    public void Accepts_canonical_and_short_fractions(string text, byte scale, long expected)
    {
        Assert.True(AmountText.TryParse(text, scale, out var value, out var error), error.ToString());
        Assert.Equal(expected, value);
        Assert.Equal(AmountParseError.None, error);
    }

    [Theory]
    [InlineData("", AmountParseError.Empty)]
    [InlineData(" 1", AmountParseError.Whitespace)]
    [InlineData("1 ", AmountParseError.Whitespace)]
    [InlineData("1 000", AmountParseError.Whitespace)]
    [InlineData("1\t", AmountParseError.Whitespace)]
    [InlineData("1.234", AmountParseError.TooManyDecimals)]
    [InlineData("1.000", AmountParseError.TooManyDecimals)]
    [InlineData("1e5", AmountParseError.Exponent)]
    [InlineData("1E5", AmountParseError.Exponent)]
    [InlineData("NaN", AmountParseError.NotANumber)]
    [InlineData("Infinity", AmountParseError.NotANumber)]
    [InlineData("12abc", AmountParseError.NotANumber)]
    [InlineData("١٢", AmountParseError.NotANumber)]
    [InlineData("+1", AmountParseError.LeadingPlus)]
    [InlineData("-1", AmountParseError.Negative)]
    [InlineData("92233720368547758.08", AmountParseError.Overflow)]
    [InlineData("99999999999999999999999", AmountParseError.Overflow)]
    [InlineData("1.", AmountParseError.BadSyntax)]
    [InlineData(".5", AmountParseError.BadSyntax)]
    [InlineData("1..2", AmountParseError.BadSyntax)]
    [InlineData("1.2.3", AmountParseError.BadSyntax)]
    [InlineData("1,000", AmountParseError.BadSyntax)]
    [InlineData("1_000", AmountParseError.BadSyntax)]
    [InlineData("1-", AmountParseError.BadSyntax)]
    [InlineData(".", AmountParseError.BadSyntax)]
    [InlineData("01", AmountParseError.LeadingZero)]
    [InlineData("00.5", AmountParseError.LeadingZero)]
    public void Rejects_with_precise_error(string text, AmountParseError expected)
    {
        Assert.False(AmountText.TryParse(text, 2, out var value, out var error));
        Assert.Equal(expected, error);
        Assert.Equal(0, value);
    }

    [Theory]
    [InlineData("--1", AmountParseError.BadSyntax)]
    [InlineData("-", AmountParseError.BadSyntax)]
    [InlineData("-0", AmountParseError.BadSyntax)]
    [InlineData("-0.00", AmountParseError.BadSyntax)]
    [InlineData("-+1", AmountParseError.BadSyntax)]
    [InlineData("-.5", AmountParseError.BadSyntax)]
    [InlineData("-92233720368547758.09", AmountParseError.Overflow)]
    public void Rejects_bad_negatives_when_allowed(string text, AmountParseError expected)
    {
        Assert.False(AmountText.TryParse(text, 2, allowNegative: true, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Negatives_parse_when_allowed_including_min_value()
    {
        Assert.True(AmountText.TryParse("-1.25", 2, allowNegative: true, out var v, out _));
        Assert.Equal(-125, v);
        Assert.True(AmountText.TryParse("-92233720368547758.08", 2, allowNegative: true, out v, out _));
        Assert.Equal(long.MinValue, v);
    }

    [Theory]
    [InlineData(0L, 2, "0.00")]
    [InlineData(5L, 2, "0.05")]
    [InlineData(-5L, 2, "-0.05")]
    [InlineData(123456L, 0, "123456")]
    [InlineData(long.MinValue, 18, "-9.223372036854775808")]
    [InlineData(1L, 18, "0.000000000000000001")]
    public void Formats_canonically(long value, byte scale, string expected) => Assert.Equal(expected, AmountText.Format(value, scale));

    [Fact]
    public void TryFormat_reports_short_destination()
    {
        Span<char> small = stackalloc char[3];
        Assert.False(AmountText.TryFormat(small, 12345, 2, out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Scale_above_18_is_a_caller_bug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AmountText.TryParse("1", 19, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => AmountText.Format(1, 19));
    }

    [Property(MaxTest = 2000)]
    public bool Format_then_parse_round_trips_every_long_and_scale(long value, byte scaleSeed)
    {
        var scale = (byte)(scaleSeed % 19);
        var text = AmountText.Format(value, scale);
        return AmountText.TryParse(text, scale, allowNegative: true, out var parsed, out _) && parsed == value;
    }

    [Property(MaxTest = 500)]
    public bool Round_trips_extremes_at_all_scales(bool max, byte scaleSeed, int delta)
    {
        var scale = (byte)(scaleSeed % 19);
        var value = max ? long.MaxValue - Math.Abs((long)(delta % 1000)) : long.MinValue + Math.Abs((long)(delta % 1000));
        return AmountText.TryParse(AmountText.Format(value, scale), scale, allowNegative: true, out var parsed, out _) && parsed == value;
    }

    [Property(MaxTest = 2000)]
    public bool Parse_of_arbitrary_text_never_throws(string? text, byte scaleSeed, bool allowNegative)
    {
        var ok = AmountText.TryParse(text ?? string.Empty, (byte)(scaleSeed % 19), allowNegative, out var value, out var error);
        return ok ? error == AmountParseError.None : error != AmountParseError.None && value == 0;
    }

    private static readonly Gen<string> AmountLikeText =
        Gen.ArrayOf(Gen.Elements('0', '1', '9', '.', '-', '+', 'e', ',', ' ')).Select(chars => new string(chars));

    [Property(MaxTest = 2000)]
    public Property Parse_of_amount_like_text_never_throws_and_accepted_text_is_canonical_or_shorter() =>
        Prop.ForAll(AmountLikeText.ToArbitrary(), text =>
        {
            if (!AmountText.TryParse(text, 2, allowNegative: true, out var value, out _)) return true;
            // Accepted text re-formats to the same number (possibly with padded fraction).
            var formatted = AmountText.Format(value, 2);
            return AmountText.TryParse(formatted, 2, allowNegative: true, out var again, out _) && again == value
                && formatted.StartsWith(text.Split('.')[0], StringComparison.Ordinal);
        });
}
