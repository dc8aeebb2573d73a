using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Wallet.Host.Configuration;

/// <summary>Typed, range-checked reads of configuration keys; every failure names the full key.</summary>
internal static class SettingsReader
{
    public static int Int(IConfiguration c, string key, int defaultValue, int min, int max)
    {
        string? raw = c[key];
        if (raw is null) return defaultValue;
        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new SettingsException($"{Path(c, key)} = '{raw}' is invalid: expected an integer {min}..{max}.");
        return v;
    }

    public static long Long(IConfiguration c, string key, long defaultValue, long min, long max)
    {
        string? raw = c[key];
        if (raw is null) return defaultValue;
        if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) || v < min || v > max)
            throw new SettingsException($"{Path(c, key)} = '{raw}' is invalid: expected an integer {min}..{max}.");
        return v;
    }

    public static TEnum Enum<TEnum>(IConfiguration c, string key, TEnum defaultValue) where TEnum : struct, Enum
    {
        string? raw = c[key];
        if (raw is null) return defaultValue;
        // Names only: a number would silently accept values that mean nothing.
        if (raw.Length == 0 || char.IsDigit(raw[0]) || raw[0] == '-' || !System.Enum.TryParse(raw, ignoreCase: true, out TEnum v) || !System.Enum.IsDefined(v))
            throw new SettingsException($"{Path(c, key)} = '{raw}' is invalid: expected one of {string.Join(", ", System.Enum.GetNames<TEnum>()).ToLowerInvariant()}.");
        return v;
    }

    public static bool Bool(IConfiguration c, string key, bool defaultValue)
    {
        string? raw = c[key];
        if (raw is null) return defaultValue;
        if (!bool.TryParse(raw, out bool v)) throw new SettingsException($"{Path(c, key)} = '{raw}' is invalid: expected true or false.");
        return v;
    }

    public static string String(IConfiguration c, string key, string defaultValue)
    {
        string? raw = c[key];
        return string.IsNullOrWhiteSpace(raw) ? defaultValue : raw.Trim();
    }

    public static string Path(IConfiguration c, string key) => c is IConfigurationSection s ? s.Path + ":" + key : key;
}
