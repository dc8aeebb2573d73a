using System.Globalization;

namespace Wallet.Host.Commands;

/// <summary>
/// Account and transfer ids on the command line: a decimal number ("42"), hex with 0x ("0x2a"), or a UUID
/// ("0190c0a8-7d2e-7c3a-9f41-2b7e8d1c0a55", its 128 bits read big-endian, as ULID/UUIDv7 ids sort).
/// </summary>
internal static class IdText
{
    public static bool TryParse(string? text, out UInt128 id)
    {
        id = UInt128.Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 40) return false;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            // Only hex digits: UInt128.TryParse also takes trailing NULs (the HTTP gateway's http fuzz target found
            // the same hole in its IdText), which would read a prefix as the id.
            if (text.Length == 2 || text.Length > 34) return false;
            foreach (char c in text.AsSpan(2)) if (!char.IsAsciiHexDigit(c)) return false;
            return UInt128.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id);
        }
        if (text.Length == 36 && text[8] == '-' && Guid.TryParseExact(text, "D", out Guid guid))
        {
            Span<byte> bytes = stackalloc byte[16];
            guid.TryWriteBytes(bytes, bigEndian: true, out _);
            id = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
            return true;
        }
        foreach (char c in text) if (c is < '0' or > '9') return false;
        return UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
    }

    public static UInt128 Parse(string? text, string what)
    {
        if (!TryParse(text, out UInt128 id))
            throw new CliUsageException($"{what} '{text}' is not an id: use a decimal number, 0x-hex or a UUID");
        return id;
    }
}

/// <summary>A command-line mistake: printed as is, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
