using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Http;

/// <summary>
/// Strict reading of a JSON request body: size-limited, one object, no unknown or duplicate members, exact types.
/// Amounts must be JSON strings ("12.34") parsed exactly by <see cref="AmountText"/>; a JSON number for an amount is
/// refused (binary floating point cannot carry money). Ids are unsigned 128-bit integers given as a decimal string,
/// a UUID string, or a JSON integer.
/// </summary>
public sealed class JsonBody : IDisposable
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    private readonly JsonDocument _document;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    private JsonBody(JsonDocument document) => _document = document;

    public JsonElement Root => _document.RootElement;

    /// <summary>Reads and parses the body; on failure Problem is the response to send.</summary>
    public static async Task<(JsonBody? Body, IResult? Problem)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancel)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, HttpProblem.Of(StatusCodes.Status415UnsupportedMediaType, "UnsupportedMediaType", "Unsupported media type", "send Content-Type: application/json"));
        if (request.ContentLength > maxBytes) return (null, TooLarge(maxBytes));
        byte[] buffer = new byte[Math.Min(maxBytes + 1, (int?)request.ContentLength + 1 ?? maxBytes + 1)];
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes) return (null, TooLarge(maxBytes));
                    Array.Resize(ref buffer, Math.Min(maxBytes + 1, buffer.Length * 2));
                }
                int n = await request.Body.ReadAsync(buffer.AsMemory(length), cancel).ConfigureAwait(false);
                if (n == 0) break;
                length += n;
                if (length > maxBytes) return (null, TooLarge(maxBytes));
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
        // JSON text is UTF-8 (RFC 8259 §8.1). The parser checks the structure only; invalid UTF-8 inside a string or a
        // member name would surface later as an exception while reading it (a 500) — refuse it here, precisely.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.AsSpan(0, length)))
            return (null, HttpProblem.BadRequest("InvalidJson", "the body is not valid UTF-8"));
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.AsMemory(0, length), DocumentOptions);
        }
        catch (JsonException ex)
        {
            return (null, HttpProblem.BadRequest("InvalidJson", $"the body is not valid JSON: {ex.Message}"));
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return (null, HttpProblem.BadRequest("InvalidJson", "the body must be a JSON object"));
        }
        var body = new JsonBody(document);
        string? duplicate = body.FindDuplicate();
        if (duplicate is not null)
        {
            body.Dispose();
            return (null, HttpProblem.BadRequest("InvalidJson", $"member '{duplicate}' appears more than once"));
        }
        return (body, null);
    }

    private static IResult TooLarge(int maxBytes) =>
        HttpProblem.Of(StatusCodes.Status413PayloadTooLarge, "BodyTooLarge", "Request body too large", $"the body is limited to {maxBytes} bytes");

    private string? FindDuplicate()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty p in Root.EnumerateObject())
        {
            if (!names.Add(p.Name)) return p.Name;
        }
        return null;
    }

    /// <summary>After all Get* calls: the first member the endpoint does not know, or null.</summary>
    public string? UnknownMember()
    {
        foreach (JsonProperty p in Root.EnumerateObject())
        {
            if (!_seen.Contains(p.Name)) return p.Name;
        }
        return null;
    }

    private bool TryGet(string name, out JsonElement value)
    {
        _seen.Add(name);
        return Root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    public bool TryGetId(string name, bool required, out UInt128 id, out string? error)
    {
        id = UInt128.Zero;
        error = null;
        if (!TryGet(name, out JsonElement e))
        {
            if (required) error = $"'{name}' is required";
            return !required;
        }
        if (e.ValueKind == JsonValueKind.Number)
        {
            if (IdText.TryParse(e.GetRawText(), out id)) return true;
            error = $"'{name}' must be a non-negative integer below 2^128 (a JSON integer, a decimal string or a UUID)";
            return false;
        }
        if (e.ValueKind == JsonValueKind.String && IdText.TryParse(e.GetString()!, out id)) return true;
        error = $"'{name}' must be an id: a decimal string, a UUID string or a JSON integer, below 2^128";
        return false;
    }

    /// <summary>An amount of <paramref name="scale"/> decimals; must be a JSON string.</summary>
    public bool TryGetAmount(string name, byte scale, out long minorUnits, out string? error)
    {
        minorUnits = 0;
        error = null;
        if (!TryGet(name, out JsonElement e))
        {
            error = $"'{name}' is required";
            return false;
        }
        if (e.ValueKind != JsonValueKind.String)
        {
            error = $"'{name}' must be a JSON string such as \"12.34\", not a {e.ValueKind.ToString().ToLowerInvariant()}: amounts are decimal text, never binary numbers";
            return false;
        }
        if (AmountText.TryParse(e.GetString(), scale, out minorUnits, out AmountParseError parseError)) return true;
        error = $"'{name}' = \"{Truncate(e.GetString()!)}\" is not a valid amount with {scale} decimals: {parseError}";
        return false;
    }

    public bool TryGetString(string name, bool required, int maxLength, out string? value, out string? error)
    {
        value = null;
        error = null;
        if (!TryGet(name, out JsonElement e))
        {
            if (required) error = $"'{name}' is required";
            return !required;
        }
        if (e.ValueKind != JsonValueKind.String || e.GetString()!.Length > maxLength)
        {
            error = $"'{name}' must be a string of at most {maxLength} characters";
            return false;
        }
        value = e.GetString();
        return true;
    }

    public bool TryGetUInt(string name, uint max, out uint value, out string? error)
    {
        value = 0;
        error = null;
        if (!TryGet(name, out JsonElement e)) return true;
        if (e.ValueKind == JsonValueKind.Number && uint.TryParse(e.GetRawText(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= max) return true;
        error = $"'{name}' must be an integer between 0 and {max}";
        return false;
    }

    public bool TryGetStringArray(string name, int maxItems, out List<string> values, out string? error)
    {
        values = [];
        error = null;
        if (!TryGet(name, out JsonElement e)) return true;
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() > maxItems)
        {
            error = $"'{name}' must be an array of at most {maxItems} strings";
            return false;
        }
        foreach (JsonElement item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                error = $"'{name}' must contain strings only";
                return false;
            }
            values.Add(item.GetString()!);
        }
        return true;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    public void Dispose() => _document.Dispose();
}
