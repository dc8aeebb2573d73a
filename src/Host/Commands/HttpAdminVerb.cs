using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Wallet.Host.Commands;

/// <summary>
/// What the operator verbs that talk to a running node's HTTP API share (snapshot, stat): its URL and an admin
/// credential (--user/--password, or WALLET_USER/WALLET_PASSWORD), sent as Authorization: Bearer NAME:KEY.
/// </summary>
internal sealed class HttpAdminVerb
{
    public Option<string> Url { get; } = new("--url") { Description = "The node's HTTP API", DefaultValueFactory = _ => "http://127.0.0.1:7480" };
    public Option<string> User { get; } = new("--user") { Description = "Admin user (default: WALLET_USER, else admin)" };
    public Option<string> Password { get; } = new("--password") { Description = "Credential (default: WALLET_PASSWORD)" };
    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable output" };

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(User);
        command.Options.Add(Password);
        command.Options.Add(Json);
    }

    /// <summary>Sends one request; returns (exit code, parsed JSON body or null). Prints the reason on failure.</summary>
    public async Task<(int Exit, JsonElement? Body)> SendAsync(ParseResult parse, HttpMethod method, string path, string verb)
    {
        string user = parse.GetValue(User) ?? Environment.GetEnvironmentVariable("WALLET_USER") ?? "admin";
        string? password = parse.GetValue(Password) ?? Environment.GetEnvironmentVariable("WALLET_PASSWORD");
        if (string.IsNullOrEmpty(password))
        {
            Console.Error.WriteLine($"wallet {verb}: no credential: pass --password or set WALLET_PASSWORD");
            return (ExitCodes.InvalidConfiguration, null);
        }
        if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out Uri? baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
        {
            Console.Error.WriteLine($"wallet {verb}: --url must be an http(s) URL");
            return (ExitCodes.InvalidConfiguration, null);
        }
        using var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user + ":" + password);
        if (method == HttpMethod.Post) request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"wallet {verb}: cannot reach {baseUri}: {ex.Message}");
            return (ExitCodes.Unavailable, null);
        }
        using (response)
        {
            string text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            JsonElement? body = null;
            try
            {
                using JsonDocument doc = JsonDocument.Parse(text);
                body = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Not JSON: reported below with the status.
            }
            if (response.IsSuccessStatusCode) return (ExitCodes.Ok, body);
            string detail = body is { } b && b.ValueKind == JsonValueKind.Object && b.TryGetProperty("detail", out JsonElement d) ? d.GetString() ?? text : text;
            Console.Error.WriteLine($"wallet {verb}: {(int)response.StatusCode} {response.ReasonPhrase}: {detail}");
            int status = (int)response.StatusCode;
            return (status is 401 or 403 or 503 ? ExitCodes.Unavailable : ExitCodes.Rejected, body);
        }
    }
}
