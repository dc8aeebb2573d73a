using System.Net;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Http;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests.Http;

/// <summary>
/// Under consensus a follower's HTTP API answers 503 NotLeader and names the leader as far as it knows it: the
/// leader's HTTP API (when Cluster:Members publishes its port), its SBE gateway and the term; nothing applied.
/// </summary>
public sealed class HttpLeadershipTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("http-leader");
    private readonly HttpGateway _http;
    private readonly PartitionEngine _partition;
    private readonly FollowerRouter _router;
    private readonly HttpClient _client;

    /// <summary>Refuses every command as consensus does on a follower, and reports the leader the test sets.</summary>
    private sealed class FollowerRouter : IRequestRouter
    {
        public LeaderInfo Leader = LeaderInfo.Unknown(1);
        public int PartitionCount => 1;
        public int PartitionOf(UInt128 accountId) => 0;
        public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) => SubmitStatus.NotLeader;
        public LeaderInfo LeaderOf(int partition) => Leader;
        public IRequestForwarder? Forwarder { get; set; }
    }

    /// <summary>Answers every forwarded request at once as the leader would, per <see cref="Mode"/>, with the leader's receipt.</summary>
    private sealed class AnsweringForwarder : IRequestForwarder
    {
        public const long CommandIndex = 4242, CommandTimestampNs = 1_800_000_000_123_456_789, AccountsReadIndex = 4300, TransfersReadIndex = 4301;
        public string Mode = "ok";
        public readonly List<(ushort Kind, int Count)> Seen = [];

        public bool TryForward(in LeaderInfo node, ushort kind, ReadOnlySpan<byte> payload, int count, IForwardCompletion completion)
        {
            lock (Seen) Seen.Add((kind, count));
            switch (Mode)
            {
                case "ok" when kind == QueryKind.LookupAccounts:
                    completion.OnFound([new Wallet.Engine.Ledger.Account { Id = 500, Ledger = 1, Code = 1, CreditsPosted = 1234 }], AccountsReadIndex);
                    break;
                case "ok":
                    completion.OnResults([Wallet.Engine.Ledger.ResultCode.Ok], CommandIndex, CommandTimestampNs);
                    break;
                case "not-taken":
                    completion.OnNotTaken(Wallet.Engine.Ledger.ResultCode.PartitionUnavailable);
                    break;
                default:
                    completion.OnOutcomeUnknown();
                    break;
            }
            return true;
        }

        public bool TryForwardTransferLookup(in LeaderInfo node, int partition, ReadOnlySpan<UInt128> ids, ITransferLookupCompletion completion)
        {
            lock (Seen) Seen.Add((QueryKind.LookupTransfers, ids.Length));
            completion.OnFound([new Wallet.Engine.Ledger.Transfer { Id = ids[0], DebitAccountId = 500, CreditAccountId = 501, Amount = 250, Ledger = 1, Code = 1 }], TransfersReadIndex);
            return true;
        }
    }

    public HttpLeadershipTests()
    {
        _http = new HttpGateway(new HttpOptions { Port = 0, CommandTimeoutMs = 10_000 }, new UserDirectory(GatewayFixture.Users), GatewayFixture.DefaultPartition("unused").Ledger.Catalog);
        _partition = PartitionEngine.Start(GatewayFixture.DefaultPartition(_dir.Path), _http.Commands);
        _router = new FollowerRouter();
        _http.StartAsync(_router).GetAwaiter().GetResult();
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_http.LocalEndPoint.Port}"), Timeout = TimeSpan.FromSeconds(30) };
        _client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", HttpFixture.Admin);
    }

    private Task<HttpResponseMessage> CreateAccountAsync() =>
        _client.PostAsync("/v1/accounts", new StringContent("""{"id":"500","currency":"USD"}""", System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task A_follower_names_the_leaders_http_api_and_gateway()
    {
        _router.Leader = LeaderInfo.Remote("10.0.0.2", 7402, term: 9, httpPort: 7482);
        using HttpResponseMessage r = await CreateAccountAsync();
        var problem = await HttpFixture.ProblemAsync(r, 503, "NotLeader");
        Assert.Equal("http://10.0.0.2:7482", problem.GetProperty("leader_http").GetString());
        Assert.Equal("10.0.0.2:7402", problem.GetProperty("leader_gateway").GetString());
        Assert.Equal(9, problem.GetProperty("leader_term").GetInt64());
        Assert.Contains("http://10.0.0.2:7482", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("1", r.Headers.RetryAfter?.ToString());

        // Reads of the leader's exact state are refused the same way.
        using HttpResponseMessage read = await _client.GetAsync("/v1/accounts/500");
        Assert.Equal("http://10.0.0.2:7482", (await HttpFixture.ProblemAsync(read, 503, "NotLeader")).GetProperty("leader_http").GetString());
        Assert.Equal(0, _partition.AppliedIndex);
    }

    [Fact]
    public async Task Without_a_published_http_port_only_the_gateway_is_named_and_ipv6_hosts_are_bracketed()
    {
        _router.Leader = LeaderInfo.Remote("fd00::2", 7402, term: 3);
        using HttpResponseMessage r = await CreateAccountAsync();
        var problem = await HttpFixture.ProblemAsync(r, 503, "NotLeader");
        Assert.Equal("[fd00::2]:7402", problem.GetProperty("leader_gateway").GetString());
        Assert.False(problem.TryGetProperty("leader_http", out _));

        _router.Leader = LeaderInfo.Remote("fd00::2", 7402, term: 3, httpPort: 7482);
        using HttpResponseMessage r2 = await CreateAccountAsync();
        Assert.Equal("http://[fd00::2]:7482", (await HttpFixture.ProblemAsync(r2, 503, "NotLeader")).GetProperty("leader_http").GetString());
    }

    [Fact]
    public async Task During_an_election_no_leader_is_named()
    {
        _router.Leader = LeaderInfo.Unknown(term: 12);
        using HttpResponseMessage r = await CreateAccountAsync();
        var problem = await HttpFixture.ProblemAsync(r, 503, "NotLeader");
        Assert.False(problem.TryGetProperty("leader_gateway", out _));
        Assert.False(problem.TryGetProperty("leader_http", out _));
        Assert.Contains("no leader is known yet", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
    }

    [Fact]
    public async Task With_a_forwarder_the_request_is_served_by_the_leader_through_this_node()
    {
        var forwarder = new AnsweringForwarder();
        _router.Forwarder = forwarder;
        _router.Leader = LeaderInfo.Remote("10.0.0.2", 7402, term: 9, httpPort: 7482);
        using (HttpResponseMessage created = await CreateAccountAsync())
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            // The leader's receipt, not this node's: where the command sits in the leader's log, and its ledger time.
            System.Text.Json.JsonElement command = await HttpFixture.JsonAsync(created);
            Assert.Equal(AnsweringForwarder.CommandIndex, command.GetProperty("index").GetInt64());
            Assert.Equal(AnsweringForwarder.CommandTimestampNs, command.GetProperty("timestamp").GetInt64());
        }
        using (HttpResponseMessage read = await _client.GetAsync("/v1/accounts/500"))
        {
            System.Text.Json.JsonElement account = await HttpFixture.JsonAsync(read);
            Assert.Equal("12.34", account.GetProperty("balances").GetProperty("credits_posted").GetString());
            Assert.Equal(("exact", AnsweringForwarder.AccountsReadIndex),
                (account.GetProperty("source").GetProperty("kind").GetString(), account.GetProperty("source").GetProperty("index").GetInt64()));
        }
        using (HttpResponseMessage transfer = await _client.GetAsync("/v1/transfers/77"))
        {
            System.Text.Json.JsonElement t = await HttpFixture.JsonAsync(transfer);
            Assert.Equal(("77", "2.50"), (t.GetProperty("id").GetString(), t.GetProperty("amount").GetString()));
            Assert.Equal(AnsweringForwarder.TransfersReadIndex, t.GetProperty("source").GetProperty("index").GetInt64());
        }
        Assert.Equal([((ushort)Wallet.Engine.Ledger.CommandKind.CreateAccounts, 1), (QueryKind.LookupAccounts, 1), (QueryKind.LookupTransfers, 1)], forwarder.Seen);

        // Not taken there: nothing applied, retry (503 Busy); no answer: outcome unknown (504, as for a local timeout).
        forwarder.Mode = "not-taken";
        using (HttpResponseMessage busy = await CreateAccountAsync()) Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        forwarder.Mode = "unknown";
        using (HttpResponseMessage unknown = await CreateAccountAsync()) Assert.Equal(HttpStatusCode.GatewayTimeout, unknown.StatusCode);
        Assert.Equal(0, _partition.AppliedIndex);
    }

    // xunit 2 disposes a test class through IDisposable or IAsyncLifetime only, never IAsyncDisposable.
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _http.DisposeAsync();
        _partition.Stop(TimeSpan.FromSeconds(10), snapshot: false);
        _dir.Dispose();
    }
}
