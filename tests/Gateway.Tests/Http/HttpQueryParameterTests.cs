using System.Net;
using System.Text;
using System.Text.Json;
using Wallet.Gateway.Http;

namespace Wallet.Gateway.Tests.Http;

/// <summary>
/// Query parameters and path ids from outside (the `http` fuzz target's findings, end to end): every malformed or
/// out-of-range value is a 400 InvalidParameter/InvalidId problem with a text — never the framework's empty 400,
/// never a 500, never a value other than the one written (a far-future time used to overflow into a negative
/// count; a bare "12:00" used to be read as today, a clock in the request path).
/// </summary>
public sealed class HttpQueryParameterTests
{
    [Fact]
    public async Task A_bad_query_parameter_is_a_400_problem_with_a_text()
    {
        string[] paths =
        [
            "/v1/accounts/100/history?limit=abc",
            "/v1/accounts/100/history?limit=0",
            "/v1/accounts/100/history?limit=1001",
            "/v1/accounts/100/history?limit=99999999999",
            "/v1/accounts/100/history?limit=%2B5",
            "/v1/accounts/100/history?from=12:00",
            "/v1/accounts/100/history?from=2026-11-27",
            "/v1/accounts/100/history?from=9999-12-31T00:00:00Z",
            "/v1/accounts/100/history?to=2262-04-11T23:47:16.854775808Z",
            "/v1/accounts/100/history?to=2026-11-27T06:00:00.1234567891Z",
            "/v1/accounts/100/history?from=1969-12-31T23:59:59Z",
            "/v1/accounts/100/history?from=2026-02-30T00:00:00Z",
            "/v1/accounts/100/history?order=DESC",
            "/v1/accounts/100/history?cursor=x.1",
            "/v1/accounts/100/balance_at?index=abc",
            "/v1/accounts/100/balance_at?index=-1",
            "/v1/accounts/100/balance_at?index=9223372036854775808",
            "/v1/accounts/100/balance_at?timestamp_ns=1e9",
            "/v1/accounts/100/balance_at?timestamp_ns=-5",
            "/v1/accounts/100/balance_at?time=2026-13-01T00:00:00Z",
            "/v1/accounts/100/balance_at?time=12:00",
            "/v1/accounts/100/balance_at?index=1&index=2",
            "/v1/accounts?user_data_128=1&limit=x",
            "/v1/accounts?user_data_128=1&after=-1",
            "/v1/accounts?user_data_128=EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEd%00", // AFL: a trailing NUL read 31 hex digits as the id
            "/v1/accounts?user_data_128=1&after=00000000-0000-0000-0000-00000000001%00",
            "/v1/readmodel?partition=-1",
            "/v1/readmodel?partition=1",
            "/v1/accounts/100?source=VIEW",
        ];
        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100", flags: """["history"]""");
        await WaitForViewAsync(f, "100"); // the cursor is read after the account is found in the view
        foreach (string path in paths)
        {
            HttpResponseMessage response = await f.GetAsync(path);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path} → {(int)response.StatusCode}: {text}");
            JsonElement problem = await HttpFixture.ProblemAsync(response, 400, "InvalidParameter");
            Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), path);
        }
    }

    [Fact]
    public async Task A_bad_path_id_is_a_400_InvalidId()
    {
        string[] paths =
        [
            "/v1/accounts/01",
            "/v1/accounts/340282366920938463463374607431768211456",
            "/v1/accounts/0000000-00000-0000-0000-0000000000001",
            "/v1/accounts/%20%31",
            "/v1/transfers/%D9%A1",
        ];
        await using HttpFixture f = await HttpFixture.StartAsync();
        foreach (string path in paths) await HttpFixture.ProblemAsync(await f.GetAsync(path), 400, "InvalidId");
    }

    [Fact]
    public async Task An_id_with_a_trailing_NUL_in_a_body_is_refused_not_read_as_another_id()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        JsonElement problem = await HttpFixture.ProblemAsync(
            await f.PostAsync("/v1/accounts", """{"id":"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEd\u0000","currency":"USD"}"""), 400, "InvalidField");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.False(IdText.TryParse("EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEd\0", out _));
        Assert.False(IdText.TryParse("00000000-0000-0000-0000-00000000001\0", out _));
        Assert.True(IdText.TryParse("EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEdE", out UInt128 id));
        Assert.Equal(UInt128.Parse("EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEdE", System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture), id);
    }

    [Fact]
    public async Task Times_are_read_exactly_to_the_nanosecond_and_up_to_the_last_representable_instant()
    {
        Assert.True(QueryText.TryParseTime("t", "2026-11-27T06:00:00.123456789+01:00", out long ns, out _));
        Assert.Equal(1_795_755_600_123_456_789L, ns);
        Assert.True(QueryText.TryParseTime("t", "2262-04-11T23:47:16.854775807Z", out ns, out _));
        Assert.Equal(long.MaxValue, ns);
        Assert.False(QueryText.TryParseTime("t", "2262-04-11T23:47:16.854775808Z", out _, out string? error));
        Assert.Contains("RFC 3339", error, StringComparison.Ordinal);

        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100", flags: """["history"]""");
        // History is the read model's: wait until it has projected the account (it lags the ledger by design).
        Assert.True(f.Projector.WaitForIndex(f.Server.Partition.AppliedIndex, TimeSpan.FromSeconds(20)));
        HttpResponseMessage all = await f.GetAsync("/v1/accounts/100/history?from=1970-01-01T00:00:00Z&to=2262-04-11T23:47:16.854775807Z&limit=1000");
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        HttpResponseMessage none = await f.GetAsync("/v1/accounts/100/history?to=1");
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Equal(0, (await HttpFixture.JsonAsync(none)).GetProperty("rows").GetArrayLength());
    }

    /// <summary>
    /// The real endpoints with mutated paths and query values (the `http` fuzz target's seeds, deterministic
    /// mutations, a bounded count): every answer is a success or a problem with a code (a 503 ViewBehind included), never a 500.
    /// </summary>
    [Fact]
    public async Task Mutated_paths_and_queries_never_answer_500()
    {
        const int Requests = 300;
        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100", flags: """["history"]""");
        string[] templates =
        [
            "/v1/accounts/{0}", "/v1/accounts/100?source={0}", "/v1/transfers/{0}?source=view", "/v1/accounts/{0}/history",
            "/v1/accounts/100/history?from={0}", "/v1/accounts/100/history?to={0}&order={0}", "/v1/accounts/100/history?limit={0}",
            "/v1/accounts/100/history?cursor={0}", "/v1/accounts/100/balance_at?index={0}", "/v1/accounts/100/balance_at?time={0}",
            "/v1/accounts/100/balance_at?timestamp_ns={0}", "/v1/accounts?user_data_128={0}&after={0}&limit={0}", "/v1/readmodel?partition={0}",
        ];
        string[] values =
        [
            "100", "0", "340282366920938463463374607431768211455", "00000000-0000-0000-0000-000000000064", "2026-11-27T06:00:00Z",
            "2262-04-11T23:47:16.854775807Z", "9223372036854775807", "1000", "desc", "view", "1.0", "",
        ];
        var random = new Random(20261127); // fixed: the same requests every run
        for (int i = 0; i < Requests; i++)
        {
            string value = Mutate(values[random.Next(values.Length)], random);
            string path = string.Format(System.Globalization.CultureInfo.InvariantCulture, templates[random.Next(templates.Length)], Uri.EscapeDataString(value));
            HttpResponseMessage response = await f.GetAsync(path);
            string body = await response.Content.ReadAsStringAsync();
            // 503 ViewBehind (an index past the view) is a legitimate answer; 500 is a crash.
            Assert.True(response.StatusCode != HttpStatusCode.InternalServerError, $"{path} → 500: {body}");
            if ((int)response.StatusCode >= 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using JsonDocument doc = JsonDocument.Parse(body);
                Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("code").GetString()), $"{path}: {body}");
            }
        }
    }

    private static async Task WaitForViewAsync(HttpFixture f, string id)
    {
        for (int attempt = 0; attempt < 200; attempt++) // at most ~10 s
        {
            if ((await f.GetAsync($"/v1/accounts/{id}?source=view")).StatusCode == HttpStatusCode.OK) return;
            await Task.Delay(50);
        }
        Assert.Fail($"account {id} never reached the read model");
    }

    private static string Mutate(string seed, Random random)
    {
        var text = new StringBuilder(seed);
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = text.Length == 0 ? 0 : random.Next(text.Length);
            switch (random.Next(5))
            {
                case 0 when text.Length > 0: text.Remove(at, 1); break;
                case 1: text.Insert(at, (char)random.Next(0x20, 0x7F)); break;
                case 2: text.Insert(at, "9999999999"); break;
                case 3 when text.Length > 0: text[at] = (char)random.Next(0x20, 0x3000); break;
                default: text.Insert(at, random.Next(2) == 0 ? "-" : "\u0661"); break;
            }
        }
        return text.ToString();
    }
}
