using System.Globalization;
using Wallet.Engine.ReadModel;

namespace Wallet.Gateway.Http;

/// <summary>
/// The parsers of the HTTP API's query parameters, callable without an HttpContext (the endpoints and the fuzz
/// target share them). Each returns a value in its documented range or a refusal with a text for the 400 problem;
/// none throws. Numbers are bound here, not by the framework, so that a malformed one gets a problem with a text
/// (the framework's binder answers an empty 400).
/// </summary>
internal static class QueryText
{
    /// <summary>Longest parameter text read; anything longer is refused before parsing.</summary>
    public const int MaxTextChars = 64;
    public const int DefaultLimit = 100;

    /// <summary>
    /// An RFC 3339 instant (<c>YYYY-MM-DDTHH:MM:SS[.fraction]</c> then <c>Z</c> or <c>±HH:MM</c>; fraction up to 9
    /// digits, kept exactly) or an integer count of nanoseconds since the Unix epoch. Range: the epoch up to
    /// long.MaxValue ns (2262-04-11). Nothing else: a lenient parse would read "12:00" as today (a clock) and a
    /// far-future year overflowed into a negative count.
    /// </summary>
    public static bool TryParseTime(string name, string text, out long ns, out string? error)
    {
        ns = 0;
        error = $"{name} must be an RFC 3339 time (e.g. 2026-11-27T06:00:00Z) or nanoseconds since the Unix epoch, from 1970 to 2262-04-11";
        if (text.Length is 0 or > MaxTextChars) return false;
        if (IsDigits(text))
        {
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ns)) return false;
            error = null;
            return true;
        }
        if (!TryParseRfc3339(text, out ns)) return false;
        error = null;
        return true;
    }

    /// <summary>A page size: absent → <see cref="DefaultLimit"/>; else 1..<see cref="HistoryQuery.MaxLimit"/>.</summary>
    public static bool TryParseLimit(string? text, out int limit, out string? error)
    {
        limit = DefaultLimit;
        error = null;
        if (text is null) return true;
        if (text.Length <= 4 && IsDigits(text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit)
            && limit is >= 1 and <= HistoryQuery.MaxLimit)
            return true;
        limit = DefaultLimit;
        error = $"limit must be an integer 1..{HistoryQuery.MaxLimit}";
        return false;
    }

    /// <summary>An optional non-negative int64 (a log index, a timestamp in ns): absent → null.</summary>
    public static bool TryParseNonNegative(string name, string? text, out long? value, out string? error)
    {
        value = null;
        error = null;
        if (text is null) return true;
        if (text.Length is > 0 and <= 19 && IsDigits(text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
        {
            value = v;
            return true;
        }
        error = $"{name} must be a non-negative integer (at most {long.MaxValue})";
        return false;
    }

    /// <summary>History order: absent or "desc" → newest first; "asc" → oldest first.</summary>
    public static bool TryParseOrder(string? text, out bool newestFirst, out string? error)
    {
        newestFirst = text is null or "desc";
        error = text is null or "desc" or "asc" ? null : "order must be 'desc' (newest first) or 'asc'";
        return error is null;
    }

    /// <summary>Where a read is answered: absent or "exact" → the ledger; "view" → the read model.</summary>
    public static bool TryParseSource(string? text, out bool fromView, out string? error)
    {
        fromView = string.Equals(text, "view", StringComparison.Ordinal);
        error = text is null or "exact" or "view" ? null : "source must be 'exact' or 'view'";
        return error is null;
    }

    /// <summary>A partition number: absent → 0; else 0..<paramref name="count"/>-1.</summary>
    public static bool TryParsePartition(string? text, int count, out int partition, out string? error)
    {
        partition = 0;
        error = null;
        if (text is null) return true;
        if (text.Length is > 0 and <= 9 && IsDigits(text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out partition)
            && partition < count)
            return true;
        partition = 0;
        error = $"partition must be 0..{count - 1}";
        return false;
    }

    private static bool IsDigits(string text)
    {
        if (text.Length == 0) return false;
        foreach (char c in text)
        {
            if (c is < '0' or > '9') return false;
        }
        return true;
    }

    private static bool TryParseRfc3339(string s, out long ns)
    {
        ns = 0;
        // date-time = full-date "T" partial-time time-offset; fixed positions up to the seconds.
        if (s.Length < 20 || s[4] != '-' || s[7] != '-' || s[10] is not ('T' or 't') || s[13] != ':' || s[16] != ':') return false;
        if (!TryDigits(s, 0, 4, out int year) || !TryDigits(s, 5, 2, out int month) || !TryDigits(s, 8, 2, out int day)
            || !TryDigits(s, 11, 2, out int hour) || !TryDigits(s, 14, 2, out int minute) || !TryDigits(s, 17, 2, out int second))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
        int pos = 19;
        long fractionNs = 0;
        if (s[pos] == '.')
        {
            int start = ++pos;
            while (pos < s.Length && s[pos] is >= '0' and <= '9') pos++;
            int digits = pos - start;
            if (digits is 0 or > 9) return false; // beyond 9 digits would be truncated: not exact
            for (int i = 0; i < 9; i++) fractionNs = fractionNs * 10 + (i < digits ? s[start + i] - '0' : 0);
        }
        if (pos >= s.Length) return false;
        int offsetMinutes;
        if (s[pos] is 'Z' or 'z')
        {
            if (pos + 1 != s.Length) return false;
            offsetMinutes = 0;
        }
        else if (s[pos] is '+' or '-')
        {
            if (pos + 6 != s.Length || s[pos + 3] != ':' || !TryDigits(s, pos + 1, 2, out int oh) || !TryDigits(s, pos + 4, 2, out int om) || oh > 23 || om > 59)
                return false;
            offsetMinutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
        }
        else
        {
            return false;
        }
        long ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks
            - (offsetMinutes * TimeSpan.TicksPerMinute);
        if (ticks < 0 || ticks > (long.MaxValue - fractionNs) / 100) return false;
        ns = ticks * 100 + fractionNs;
        return true;
    }

    private static bool TryDigits(string s, int start, int count, out int value)
    {
        value = 0;
        for (int i = start; i < start + count; i++)
        {
            char c = s[i];
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
