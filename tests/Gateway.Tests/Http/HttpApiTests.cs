using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Wallet.Gateway.Tests.Http;

/// <summary>
/// The HTTP/JSON API end to end (Kestrel on 127.0.0.1:0 → partition → read model): exact amounts as strings,
/// idempotent transfers, exact vs view answers with their positions, history, balance-at, Problem Details with our
/// codes for every kind of bad request, authentication and authorisation with the SBE gateway's rules, size limits.
/// </summary>
public sealed class HttpApiTests
{
    private const string TransferPath = "/v1/wallet/balance_transfer";

    private static string Transfer(string id, string from, string to, string amount, string currency = "USD") =>
        $$"""{"from_account":"{{from}}","to_account":"{{to}}","amount":"{{amount}}","currency":"{{currency}}","transaction_id":"{{id}}"}""";

    [Fact]
    public async Task Transfer_moves_exact_amounts_and_reads_say_exact_or_view()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100", flags: """["history"]""");
        await f.CreateAccountAsync("200");

        HttpResponseMessage moved = await f.PostAsync(TransferPath, Transfer("1", "200", "100", "12.34"));
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        JsonElement result = await HttpFixture.JsonAsync(moved);
        Assert.Equal("Ok", result.GetProperty("result").GetString());
        long transferIndex = result.GetProperty("index").GetInt64();

        // The seed's shape with a UUID transaction id, from a client (alice may debit 100..199).
        HttpResponseMessage back = await f.PostAsync(TransferPath, Transfer("8f0c6c1e-3c1a-4d2b-9a55-0123456789ab", "100", "200", "0.34"), HttpFixture.Alice);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);

        // Idempotent: the same request again answers the original outcome (Exists), nothing moves twice.
        HttpResponseMessage again = await f.PostAsync(TransferPath, Transfer("1", "200", "100", "12.34"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("Exists", (await HttpFixture.JsonAsync(again)).GetProperty("result").GetString());
        // Same id, different amount: a conflict with the ledger's own code.
        JsonElement conflict = await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "200", "100", "12.35")), 409, "ExistsWithDifferentAmount");
        Assert.Equal(231, conflict.GetProperty("result_code").GetInt32());

        JsonElement exact = await HttpFixture.JsonAsync(await f.GetAsync("/v1/accounts/100"));
        Assert.Equal("exact", exact.GetProperty("source").GetProperty("kind").GetString());
        Assert.Equal("12.34", exact.GetProperty("balances").GetProperty("credits_posted").GetString());
        Assert.Equal("0.34", exact.GetProperty("balances").GetProperty("debits_posted").GetString());
        Assert.Equal("12.00", exact.GetProperty("balances").GetProperty("balance").GetString());
        long exactIndex = exact.GetProperty("source").GetProperty("index").GetInt64();

        Assert.True(f.Projector.WaitForIndex(exactIndex, TimeSpan.FromSeconds(20)));
        JsonElement view = await HttpFixture.JsonAsync(await f.GetAsync("/v1/accounts/100?source=view"));
        Assert.Equal("view", view.GetProperty("source").GetProperty("kind").GetString());
        Assert.True(view.GetProperty("source").GetProperty("index").GetInt64() >= transferIndex);
        Assert.Equal(exact.GetProperty("balances").ToString(), view.GetProperty("balances").ToString());

        // History, newest first by default, with the running balance after each change.
        JsonElement history = await HttpFixture.JsonAsync(await f.GetAsync("/v1/accounts/100/history", HttpFixture.Alice));
        JsonElement rows = history.GetProperty("rows");
        Assert.Equal(3, rows.GetArrayLength());
        Assert.Equal("transfer_posted", rows[0].GetProperty("event").GetString());
        Assert.Equal("debit", rows[0].GetProperty("side").GetString());
        Assert.Equal("0.34", rows[0].GetProperty("amount").GetString());
        Assert.Equal("12.00", rows[0].GetProperty("balances_after").GetProperty("balance").GetString());
        Assert.Equal("12.34", rows[1].GetProperty("balances_after").GetProperty("balance").GetString());
        Assert.Equal("account_created", rows[2].GetProperty("event").GetString());
        JsonElement page1 = await HttpFixture.JsonAsync(await f.GetAsync("/v1/accounts/100/history?order=asc&limit=2"));
        Assert.Equal(2, page1.GetProperty("rows").GetArrayLength());
        string cursor = page1.GetProperty("next_cursor").GetString()!;
        JsonElement page2 = await HttpFixture.JsonAsync(await f.GetAsync($"/v1/accounts/100/history?order=asc&limit=2&cursor={cursor}"));
        Assert.Equal(1, page2.GetProperty("rows").GetArrayLength());
        Assert.False(page2.TryGetProperty("next_cursor", out _));
        Assert.Equal(rows[0].GetProperty("index").GetInt64(), page2.GetProperty("rows")[0].GetProperty("index").GetInt64());

        // Balance as of the first transfer's index, and as of a time before anything.
        JsonElement at = await HttpFixture.JsonAsync(await f.GetAsync($"/v1/accounts/100/balance_at?index={transferIndex}"));
        Assert.True(at.GetProperty("found").GetBoolean());
        Assert.Equal("12.34", at.GetProperty("balances").GetProperty("balance").GetString());
        Assert.Equal(transferIndex, at.GetProperty("change_index").GetInt64());
        JsonElement before = await HttpFixture.JsonAsync(await f.GetAsync("/v1/accounts/100/balance_at?time=2001-01-01T00:00:00Z"));
        Assert.False(before.GetProperty("found").GetBoolean());
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/100/balance_at?index=999999"), 503, "ViewBehind");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/100/balance_at"), 400, "InvalidParameter");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/555/history"), 404, "AccountNotFound");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/555/balance_at?index=1"), 404, "AccountNotFound");

        // Transfer lookup: exact, and from the view with its status.
        JsonElement t = await HttpFixture.JsonAsync(await f.GetAsync("/v1/transfers/1"));
        Assert.Equal("12.34", t.GetProperty("amount").GetString());
        Assert.Equal("exact", t.GetProperty("source").GetProperty("kind").GetString());
        JsonElement tv = await HttpFixture.JsonAsync(await f.GetAsync("/v1/transfers/1?source=view"));
        Assert.Equal("posted", tv.GetProperty("status").GetString());
        JsonElement missing = await HttpFixture.ProblemAsync(await f.GetAsync("/v1/transfers/424242"), 404, "TransferNotFound");
        Assert.Contains("idempotency window", missing.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("?source=view", missing.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/transfers/424242?source=view"), 404, "TransferNotFound");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/999"), 404, "AccountNotFound");

        // Close (admin), then a transfer to it is refused by the ledger with its code.
        Assert.Equal(HttpStatusCode.OK, (await f.PostAsync("/v1/accounts/100/close", "")).StatusCode);
        JsonElement closed = await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("9", "200", "100", "1.00")), 422, "CreditAccountClosed");
        Assert.Equal(217, closed.GetProperty("result_code").GetInt32());
    }

    [Theory]
    [InlineData("12.345", "InvalidAmount")]   // more decimals than USD has
    [InlineData("1e3", "InvalidAmount")]
    [InlineData("-1.00", "InvalidAmount")]
    [InlineData("+1.00", "InvalidAmount")]
    [InlineData("", "InvalidAmount")]
    [InlineData("NaN", "InvalidAmount")]
    [InlineData("01.00", "InvalidAmount")]
    [InlineData(" 1.00", "InvalidAmount")]
    [InlineData("99999999999999999999", "InvalidAmount")]
    public async Task Bad_amount_strings_are_rejected_precisely(string amount, string code)
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        JsonElement problem = await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "100", "200", amount)), 400, code);
        Assert.Contains("amount", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_requests_get_problem_details_and_change_nothing()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100");
        await f.CreateAccountAsync("200");
        long before = f.Server.Partition.AppliedIndex;

        // A JSON number for an amount: refused, not rounded.
        JsonElement number = await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath,
            """{"from_account":"100","to_account":"200","amount":12.34,"currency":"USD","transaction_id":"1"}"""), 400, "InvalidAmount");
        Assert.Contains("JSON string", number.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath,
            "{\"from_account\":\"100\",\"to_account\":\"200\",\"amount\":\"1.00\""), 400, "InvalidJson");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, "[1,2]"), 400, "InvalidJson");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, "not json"), 400, "InvalidJson");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, ""), 400, "InvalidJson");
        // Invalid UTF-8 in a member name (found by the json fuzz target: it was a 500 from the duplicate check).
        byte[] badUtf8 = Encoding.UTF8.GetBytes(Transfer("1", "100", "200", "1.00"));
        badUtf8[2] = 0xED;
        badUtf8[3] = 0xBB;
        JsonElement utf8 = await HttpFixture.ProblemAsync(await f.PostBytesAsync(TransferPath, badUtf8), 400, "InvalidJson");
        Assert.Contains("UTF-8", utf8.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath,
            """{"from_account":"100","from_account":"101","to_account":"200","amount":"1.00","currency":"USD","transaction_id":"1"}"""), 400, "InvalidJson");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath,
            """{"to_account":"200","amount":"1.00","currency":"USD","transaction_id":"1"}"""), 400, "InvalidField");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath,
            """{"from_account":"-5","to_account":"200","amount":"1.00","currency":"USD","transaction_id":"1"}"""), 400, "InvalidField");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath,
            """{"from_account":"100","to_account":"200","amount":"1.00","currency":"USD","transaction_id":"340282366920938463463374607431768211456"}"""), 400, "InvalidField");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath,
            """{"from_account":"100","to_account":"200","amount":"1.00","currency":"USD","transaction_id":"1","amout":"2"}"""), 400, "UnknownMember");
        JsonElement currency = await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "100", "200", "1.00", "XYZ")), 422, "LedgerNotConfigured");
        Assert.Equal(10, currency.GetProperty("result_code").GetInt32());
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "100", "200", "1.00"), contentType: "text/plain"), 415, "UnsupportedMediaType");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/abc"), 400, "InvalidId");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/nothing-here"), 404, "NoSuchRoute");

        // Ledger rules answer 422 with the ledger's code.
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "100", "100", "1.00")), 422, "AccountsMustBeDifferent");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("2", "100", "777", "1.00")), 422, "CreditAccountNotFound");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("0", "100", "200", "1.00")), 422, "IdMustNotBeZero");

        // Only the three refused-by-the-ledger commands reached the log; nothing was applied.
        JsonElement account = await HttpFixture.JsonAsync(await f.GetAsync("/v1/accounts/100"));
        Assert.Equal("0.00", account.GetProperty("balances").GetProperty("debits_posted").GetString());
        Assert.Equal(before + 3, f.Server.Partition.AppliedIndex);
    }

    [Fact]
    public async Task Oversize_bodies_are_refused_before_parsing()
    {
        await using HttpFixture f = await HttpFixture.StartAsync(o => new Wallet.Gateway.Http.HttpOptions { Port = 0, MaxRequestBodyBytes = 512 });
        string padding = new('x', 600);
        string big = $$"""{"from_account":"100","to_account":"200","amount":"1.00","currency":"USD","transaction_id":"1","pad":"{{padding}}"}""";
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, big), 413, "BodyTooLarge");

        // Without a Content-Length (chunked): cut while reading.
        var request = new HttpRequestMessage(HttpMethod.Post, TransferPath) { Content = new ChunkedContent(Encoding.UTF8.GetBytes(big)) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", HttpFixture.Admin);
        HttpResponseMessage chunked = await f.Client.SendAsync(request);
        await HttpFixture.ProblemAsync(chunked, 413, "BodyTooLarge");
    }

    [Fact]
    public async Task Authentication_and_authorisation_follow_the_gateway_rules()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100");
        await f.CreateAccountAsync("300");

        HttpResponseMessage none = await f.PostAsync(TransferPath, Transfer("1", "100", "300", "1.00"), credential: null);
        await HttpFixture.ProblemAsync(none, 401, "NotAuthenticated");
        Assert.NotEmpty(none.Headers.WwwAuthenticate);
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "100", "300", "1.00"), "alice:wrong"), 401, "BadCredentials");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "100", "300", "1.00"), "nobody:x"), 401, "BadCredentials");
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "100", "300", "1.00"), "no-colon"), 401, "MalformedCredentials");

        // alice may debit 100..199 only; clients cannot create or close accounts or read others' accounts.
        await HttpFixture.ProblemAsync(await f.PostAsync(TransferPath, Transfer("1", "300", "100", "1.00"), HttpFixture.Alice), 403, "Unauthorized");
        await HttpFixture.ProblemAsync(await f.PostAsync("/v1/accounts", """{"id":"150","currency":"USD"}""", HttpFixture.Alice), 403, "Unauthorized");
        await HttpFixture.ProblemAsync(await f.PostAsync("/v1/accounts/100/close", "", HttpFixture.Alice), 403, "Unauthorized");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/300", HttpFixture.Alice), 403, "Unauthorized");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/accounts/300/history", HttpFixture.Alice), 403, "Unauthorized");
        Assert.Equal(HttpStatusCode.OK, (await f.GetAsync("/v1/accounts/100", HttpFixture.Alice)).StatusCode);

        // Basic and X-Api-Key carry the same credential.
        var basic = new HttpRequestMessage(HttpMethod.Get, "/v1/accounts/100");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(HttpFixture.Alice)));
        Assert.Equal(HttpStatusCode.OK, (await f.Client.SendAsync(basic)).StatusCode);
        var apiKey = new HttpRequestMessage(HttpMethod.Get, "/v1/accounts/100");
        apiKey.Headers.Add("X-Api-Key", HttpFixture.Alice);
        Assert.Equal(HttpStatusCode.OK, (await f.Client.SendAsync(apiKey)).StatusCode);

        // A transfer alice may see (she may debit one side) vs one she may not: not found, no existence leak.
        await f.CreateAccountAsync("400");
        Assert.Equal(HttpStatusCode.OK, (await f.PostAsync(TransferPath, Transfer("6", "300", "400", "1.00"))).StatusCode);
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/transfers/6", HttpFixture.Alice), 404, "TransferNotFound");
        Assert.Equal(HttpStatusCode.OK, (await f.GetAsync("/v1/transfers/6")).StatusCode);
    }

    [Fact]
    public async Task Health_readiness_and_the_openapi_document_answer_without_credentials()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await f.GetAsync("/health", null)).StatusCode);
        JsonElement ready = await HttpFixture.JsonAsync(await f.GetAsync("/ready", null));
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        JsonElement doc = await HttpFixture.JsonAsync(await f.GetAsync("/openapi/v1.json", null));
        Assert.Equal("3.1.0", doc.GetProperty("openapi").GetString());
        // Every documented route exists (answers something other than the no-such-route 404).
        foreach (JsonProperty path in doc.GetProperty("paths").EnumerateObject())
        {
            string concrete = path.Name.Replace("{id}", "1", StringComparison.Ordinal);
            foreach (JsonProperty method in path.Value.EnumerateObject())
            {
                HttpResponseMessage r = method.Name == "post" ? await f.PostAsync(concrete, "{}") : await f.GetAsync(concrete);
                string body = await r.Content.ReadAsStringAsync();
                Assert.DoesNotContain("NoSuchRoute", body, StringComparison.Ordinal);
                Assert.NotEqual(HttpStatusCode.MethodNotAllowed, r.StatusCode);
            }
        }
        JsonElement rm = await HttpFixture.JsonAsync(await f.GetAsync("/v1/readmodel"));
        Assert.Equal("Running", rm.GetProperty("state").GetString());
        Assert.True(rm.GetProperty("lag_age_ms").GetInt64() >= 0);
        Assert.False(rm.GetProperty("event_journal_recheck").GetBoolean());
        Assert.True(rm.GetProperty("lag_events").GetInt64() >= 0);

        // Prometheus text on /metrics: the requests and rejects just made, the read model's lag.
        await f.PostAsync(TransferPath, "{}", credential: null);
        string metrics = await (await f.GetAsync("/metrics", null)).Content.ReadAsStringAsync();
        Assert.Contains("wallet_rejects_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("code=\"NotAuthenticated\"", metrics, StringComparison.Ordinal);
        Assert.Contains("wallet_readmodel_lag_records", metrics, StringComparison.Ordinal);
        Assert.Contains("wallet_readmodel_age_milliseconds", metrics, StringComparison.Ordinal);
        Assert.Contains("wallet_http_in_flight", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operator_endpoints_snapshot_rebuild_and_stat_need_the_admin_role()
    {
        await using HttpFixture f = await HttpFixture.StartAsync();
        await f.CreateAccountAsync("100");
        await f.CreateAccountAsync("200");
        Assert.Equal(HttpStatusCode.OK, (await f.PostAsync(TransferPath, Transfer("1", "100", "200", "3.00"))).StatusCode);
        long applied = f.Server.Partition.AppliedIndex;
        Assert.True(f.Projector.WaitForIndex(applied, TimeSpan.FromSeconds(20)));

        await HttpFixture.ProblemAsync(await f.PostAsync("/v1/admin/snapshot", "{}", HttpFixture.Alice), 403, "Unauthorized");
        await HttpFixture.ProblemAsync(await f.GetAsync("/v1/admin/stat", HttpFixture.Alice), 403, "Unauthorized");

        // The fixture's partition has no on-request snapshot hook wired (the host wires it): 503, said precisely.
        await HttpFixture.ProblemAsync(await f.PostAsync("/v1/admin/snapshot", "{}"), 503, "NotSupported");

        Assert.Equal(HttpStatusCode.Accepted, (await f.PostAsync("/v1/admin/readmodel/rebuild", "{}")).StatusCode);
        Assert.True(SpinWait.SpinUntil(() => f.Projector.Rebuilds == 1, 10_000));
        Assert.True(f.Projector.WaitForIndex(applied, TimeSpan.FromSeconds(20)));
        JsonElement view = await HttpFixture.JsonAsync(await f.GetAsync("/v1/accounts/200?source=view"));
        Assert.Equal("3.00", view.GetProperty("balances").GetProperty("credits_posted").GetString());

        JsonElement stat = await HttpFixture.JsonAsync(await f.GetAsync("/v1/admin/stat"));
        Assert.Equal(1, stat.GetProperty("readmodel.rebuilds").GetInt64());
        Assert.Equal(applied, stat.GetProperty("readmodel.index").GetInt64());
        Assert.Equal(0, stat.GetProperty("http.in_flight_commands").GetInt64());
    }

    /// <summary>Content without a known length, so the client sends it chunked.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public ChunkedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
