using System.Globalization;
using System.Text;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Http;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// Text the HTTP API reads from a URL: a path id (<see cref="IdText.TryParse"/>) and every query-parameter parser
/// the endpoints use (<see cref="QueryText"/>: times, limit, index/timestamp_ns, order, source, partition). The
/// input is one parameter value (UTF-8, as the server hands over a percent-decoded value). Each parser must return
/// a value in its documented range or a refusal with a text (the 400 problem); an exception is a 500. An accepted
/// id or time must mean exactly what its text says: checked by formatting it back and by an independent reading.
/// </summary>
internal static class HttpQueryTarget
{
    private const int MaxTextChars = 256; // the server's URL limit is far larger; the parsers cap at 64

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxTextChars) input = input[..MaxTextChars];
        string text = Encoding.UTF8.GetString(input);
        CheckId(text);
        CheckTime(text);
        CheckNumbers(text);
        CheckWords(text);
    }

    private static void CheckId(string text)
    {
        if (!IdText.TryParse(text, out UInt128 id)) return;
        string formatted = IdText.Format(id);
        if (!IdText.TryParse(formatted, out UInt128 again) || again != id)
            throw new FuzzFinding($"IdText: '{text}' → {formatted} does not parse back to the same id");
        bool decimalForm = IsDigits(text);
        if (decimalForm && !string.Equals(formatted, text, StringComparison.Ordinal))
            throw new FuzzFinding($"IdText: decimal '{text}' accepted as {formatted}");
        if (!decimalForm)
        {
            // A UUID: its 32 hex digits, big-endian, are the id.
            string hex = text.Replace("-", string.Empty, StringComparison.Ordinal);
            if (!string.Equals(hex, id.ToString("X32", CultureInfo.InvariantCulture), StringComparison.OrdinalIgnoreCase))
                throw new FuzzFinding($"IdText: UUID '{text}' accepted as {formatted}");
        }
    }

    private static void CheckTime(string text)
    {
        if (!QueryText.TryParseTime("time", text, out long ns, out string? error))
        {
            if (string.IsNullOrEmpty(error)) throw new FuzzFinding("QueryText.TryParseTime: a refusal without a text");
            return;
        }
        if (error is not null) throw new FuzzFinding("QueryText.TryParseTime: accepted with an error set");
        if (ns < 0) throw new FuzzFinding($"QueryText.TryParseTime: '{text}' → negative {ns}");
        if (IsDigits(text))
        {
            if (!string.Equals(ns.ToString(CultureInfo.InvariantCulture), text.TrimStart('0').PadLeft(1, '0'), StringComparison.Ordinal))
                throw new FuzzFinding($"QueryText.TryParseTime: '{text}' → {ns}");
            return;
        }
        // Formats back as RFC 3339 with 9 fraction digits and reads back to the same count.
        var utc = new DateTime(DateTime.UnixEpoch.Ticks + (ns / 100), DateTimeKind.Utc);
        string back = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + (ns % 1_000_000_000).ToString("D9", CultureInfo.InvariantCulture) + "Z";
        if (!QueryText.TryParseTime("time", back, out long again, out _) || again != ns)
            throw new FuzzFinding($"QueryText.TryParseTime: '{text}' → {ns} → '{back}' does not read back");
        // An independent reading (the framework's) agrees to the tick when it reads the text at all.
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset t)
            && text.Contains('T', StringComparison.Ordinal) && !text.Contains(' ', StringComparison.Ordinal))
        {
            // The framework keeps 7 fraction digits and rounds the rest: an 8th or 9th digit may move it one tick.
            long ticks = t.UtcTicks - DateTime.UnixEpoch.Ticks;
            long tolerance = FractionDigits(text) > 7 ? 1 : 0;
            if (Math.Abs(ticks - (ns / 100)) > tolerance) throw new FuzzFinding($"QueryText.TryParseTime: '{text}' → {ns} ns, the framework reads {ticks} ticks");
        }
    }

    private static void CheckNumbers(string text)
    {
        if (QueryText.TryParseLimit(text, out int limit, out string? error))
        {
            if (limit is < 1 or > HistoryQuery.MaxLimit) throw new FuzzFinding($"QueryText.TryParseLimit: '{text}' → {limit}");
        }
        else if (string.IsNullOrEmpty(error)) throw new FuzzFinding("QueryText.TryParseLimit: a refusal without a text");

        if (QueryText.TryParseNonNegative("index", text, out long? value, out error))
        {
            if (value is not { } v || v < 0) throw new FuzzFinding($"QueryText.TryParseNonNegative: '{text}' → {value}");
            if (!string.Equals(v.ToString(CultureInfo.InvariantCulture), text.TrimStart('0').PadLeft(1, '0'), StringComparison.Ordinal))
                throw new FuzzFinding($"QueryText.TryParseNonNegative: '{text}' → {v}");
        }
        else if (string.IsNullOrEmpty(error)) throw new FuzzFinding("QueryText.TryParseNonNegative: a refusal without a text");

        foreach (int count in (ReadOnlySpan<int>)[1, 4])
        {
            if (QueryText.TryParsePartition(text, count, out int partition, out error))
            {
                if ((uint)partition >= (uint)count) throw new FuzzFinding($"QueryText.TryParsePartition: '{text}' → {partition} of {count}");
            }
            else if (string.IsNullOrEmpty(error)) throw new FuzzFinding("QueryText.TryParsePartition: a refusal without a text");
        }
    }

    private static void CheckWords(string text)
    {
        if (QueryText.TryParseOrder(text, out bool newestFirst, out string? error))
        {
            if (newestFirst != (text == "desc") || text is not ("desc" or "asc")) throw new FuzzFinding($"QueryText.TryParseOrder: '{text}' accepted");
        }
        else if (string.IsNullOrEmpty(error)) throw new FuzzFinding("QueryText.TryParseOrder: a refusal without a text");

        if (QueryText.TryParseSource(text, out bool fromView, out error))
        {
            if (fromView != (text == "view") || text is not ("view" or "exact")) throw new FuzzFinding($"QueryText.TryParseSource: '{text}' accepted");
        }
        else if (string.IsNullOrEmpty(error)) throw new FuzzFinding("QueryText.TryParseSource: a refusal without a text");
    }

    private static int FractionDigits(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0) return 0;
        int n = 0;
        while (dot + 1 + n < text.Length && char.IsAsciiDigit(text[dot + 1 + n])) n++;
        return n;
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

    public static IReadOnlyList<byte[]> Seeds()
    {
        string[] texts =
        [
            "0", "1", "7001", "340282366920938463463374607431768211455", "340282366920938463463374607431768211456",
            "00000000-0000-0000-0000-000000000001", "ffffffff-ffff-ffff-ffff-ffffffffffff", "0123456789abcdef0123456789ABCDEF",
            "2026-11-27T06:00:00Z", "2001-01-01T00:00:00Z", "2026-11-27T06:00:00.123456789+01:00", "1970-01-01T00:00:00Z",
            "2262-04-11T23:47:16.854775807Z", "9223372036854775807", "1764223200000000000",
            "100", "1000", "1001", "desc", "asc", "exact", "view", "3", "1.5",
        ];
        var seeds = new List<byte[]>(texts.Length);
        foreach (string t in texts) seeds.Add(Encoding.UTF8.GetBytes(t));
        return seeds;
    }
}
