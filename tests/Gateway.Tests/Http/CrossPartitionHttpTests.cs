using System.Net;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Http;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tests.Support;

namespace Wallet.Gateway.Tests.Http;

/// <summary>
/// POST /v1/wallet/balance_transfer across partitions goes through the router's cross-partition seam: the coordinator's
/// outcome is the response (Ok → 200, a refusal → its Problem Details), its refusals to take the transfer answer at
/// once, and without a coordinator the request is refused with the seam's text.
/// </summary>
public sealed class CrossPartitionHttpTests : IAsyncLifetime
{
    private static readonly PartitionMap s_map = PartitionMap.Uniform(2);
    private readonly TempDirectory _dir = new("http-cross");
    private readonly HttpGateway _http;
    private readonly PartitionEngine[] _partitions = new PartitionEngine[2];
    private readonly Coordinator _coordinator = new();
    private readonly HttpClient _client;

    /// <summary>Answers with <see cref="Status"/>; when accepting, completes at once with <see cref="Outcome"/>.</summary>
    private sealed class Coordinator : ICrossPartitionTransfers
    {
        public CrossPartitionSubmit Status = CrossPartitionSubmit.Accepted;
        public LeaderInfo Leader { get; set; } = LeaderInfo.Local;
        public ResultCode Outcome = ResultCode.Ok;
        public Transfer Last;

        public bool Enabled => true;

        public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
        {
            if (Status != CrossPartitionSubmit.Accepted) return Status;
            Last = transfer;
            completion.OnCompleted(correlationId, Outcome, 1_800_000_000_000_000_007);
            return CrossPartitionSubmit.Accepted;
        }
    }

    public CrossPartitionHttpTests()
    {
        _http = new HttpGateway(new HttpOptions { Port = 0, CommandTimeoutMs = 10_000 }, new UserDirectory(GatewayFixture.Users), GatewayFixture.DefaultPartition("unused").Ledger.Catalog);
        for (int p = 0; p < 2; p++) _partitions[p] = PartitionEngine.Start(GatewayFixture.DefaultPartition(Path.Combine(_dir.Path, $"p{p}")), _http.Commands);
        _http.StartAsync(new PartitionedRouter(_partitions, s_map, _coordinator)).GetAwaiter().GetResult();
        _client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_http.LocalEndPoint.Port}"), Timeout = TimeSpan.FromSeconds(30) };
        _client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", HttpFixture.Admin);
    }

    private static ulong IdOn(int partition)
    {
        for (ulong id = 100; ; id++)
        {
            if (s_map.PartitionOf(id) == partition) return id;
        }
    }

    private Task<HttpResponseMessage> TransferAsync(string id) =>
        _client.PostAsync("/v1/wallet/balance_transfer", new StringContent(
            $$"""{"from_account":"{{IdOn(0)}}","to_account":"{{IdOn(1)}}","amount":"2.50","currency":"USD","transaction_id":"{{id}}"}""",
            System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task The_coordinators_outcome_is_the_response()
    {
        using HttpResponseMessage ok = await TransferAsync("41");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = await HttpFixture.JsonAsync(ok);
        Assert.Equal("Ok", body.GetProperty("result").GetString());
        Assert.Equal(1_800_000_000_000_000_007, body.GetProperty("timestamp").GetInt64());
        Assert.Equal((UInt128)41, _coordinator.Last.Id);
        Assert.Equal(250, _coordinator.Last.Amount);
        Assert.Equal((IdOn(0), IdOn(1)), ((ulong)_coordinator.Last.DebitAccountId, (ulong)_coordinator.Last.CreditAccountId));

        _coordinator.Outcome = ResultCode.ExceedsCredits;
        using HttpResponseMessage refused = await TransferAsync("42");
        await HttpFixture.ProblemAsync(refused, 422, "ExceedsCredits");

        _coordinator.Status = CrossPartitionSubmit.Busy;
        using HttpResponseMessage busy = await TransferAsync("43");
        await HttpFixture.ProblemAsync(busy, 503, "Busy");
        // Neither partition saw any of it.
        Assert.All(_partitions, p => Assert.Equal(0, p.AppliedIndex));
    }

    [Theory]
    [InlineData(ResultCode.SagaTableFull, 503, true)]
    [InlineData(ResultCode.AccountLocked, 409, true)]
    [InlineData(ResultCode.StepOutcomeForgotten, 500, false)]
    public async Task Transient_and_unknown_outcomes_are_not_422(ResultCode code, int status, bool retryAfter)
    {
        _coordinator.Outcome = code;
        using HttpResponseMessage r = await TransferAsync("45");
        var problem = await HttpFixture.ProblemAsync(r, status, code.ToString());
        Assert.Equal((uint)code, problem.GetProperty("result_code").GetUInt32());
        Assert.Equal(retryAfter, r.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task A_follower_of_the_saga_group_names_its_leader()
    {
        _coordinator.Status = CrossPartitionSubmit.NotLeader;
        _coordinator.Leader = LeaderInfo.Remote("127.0.0.9", 7654, 4, httpPort: 7484);
        using HttpResponseMessage refused = await TransferAsync("44");
        var problem = await HttpFixture.ProblemAsync(refused, 503, "NotLeader");
        Assert.Equal("http://127.0.0.9:7484", problem.GetProperty("leader_http").GetString());
        Assert.Equal("127.0.0.9:7654", problem.GetProperty("leader_gateway").GetString());
        Assert.Equal(4, problem.GetProperty("leader_term").GetInt64());
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.All(_partitions, p => Assert.Equal(0, p.AppliedIndex));
    }

    // xunit 2 disposes a test class through IDisposable or IAsyncLifetime only, never IAsyncDisposable.
    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _http.DisposeAsync();
        foreach (PartitionEngine p in _partitions) p.Stop(TimeSpan.FromSeconds(10), snapshot: false);
        _dir.Dispose();
    }
}
