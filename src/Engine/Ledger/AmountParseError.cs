namespace Wallet.Engine.Ledger;

/// <summary>Why AmountText.TryParse refused a string (checked in this order).</summary>
public enum AmountParseError : byte
{
    None = 0,
    /// <summary>Zero-length text.</summary>
    Empty = 1,
    /// <summary>Any whitespace character anywhere (leading, trailing or inner).</summary>
    Whitespace = 2,
    /// <summary>A character other than ASCII digits, '.', '+', '-', 'e', 'E', ',', '_', '\'' (e.g. "NaN", "Infinity", "1x", "١").</summary>
    NotANumber = 3,
    /// <summary>'e' or 'E' (scientific notation is never accepted).</summary>
    Exponent = 4,
    /// <summary>Grouping separators (',', '_', '\''), a sign not at the start, "--1", "-", ".5", "1.", "1..2", "-0".</summary>
    BadSyntax = 5,
    /// <summary>A leading '+'.</summary>
    LeadingPlus = 6,
    /// <summary>A leading '-' while negatives are not allowed.</summary>
    Negative = 7,
    /// <summary>Redundant leading zero in the integer part ("01", "00.5"); "0" and "0.5" are fine.</summary>
    LeadingZero = 8,
    /// <summary>More fraction digits than the ledger scale, even if they are zeros (never rounds).</summary>
    TooManyDecimals = 9,
    /// <summary>The value does not fit in int64 minor units.</summary>
    Overflow = 10,
}
