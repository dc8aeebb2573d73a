using System.Globalization;

namespace Wallet.Gateway.Http;

/// <summary>Text forms of 128-bit ids on the HTTP API: decimal (canonical, also what responses use) or a UUID.</summary>
public static class IdText
{
    /// <summary>Decimal digits (no sign, no leading zeros except "0", at most 39), or a UUID (with or without dashes; read big-endian).</summary>
    public static bool TryParse(string text, out UInt128 id)
    {
        id = UInt128.Zero;
        if (string.IsNullOrEmpty(text)) return false;
        if ((text.Length == 36 && text.Contains('-', StringComparison.Ordinal)) || (text.Length == 32 && HasHexLetter(text)))
            return TryParseUuid(text, out id);
        if (text.Length > 39 || (text.Length > 1 && text[0] == '0')) return false;
        foreach (char c in text)
        {
            if (c is < '0' or > '9') return false;
        }
        return UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    public static string Format(UInt128 id) => id.ToString(CultureInfo.InvariantCulture);

    private static bool HasHexLetter(string text)
    {
        foreach (char c in text)
        {
            if (c is (>= 'a' and <= 'f') or (>= 'A' and <= 'F')) return true;
        }
        return false;
    }

    private static bool TryParseUuid(string text, out UInt128 id)
    {
        id = UInt128.Zero;
        string hex = text.Length == 36 ? text.Replace("-", string.Empty, StringComparison.Ordinal) : text;
        if (hex.Length != 32) return false;
        if (text.Length == 36 && (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')) return false;
        // Only hex digits: UInt128.TryParse also takes trailing NULs, which would read a 31-digit prefix as the id.
        foreach (char c in hex)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
        }
        return UInt128.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id);
    }
}
