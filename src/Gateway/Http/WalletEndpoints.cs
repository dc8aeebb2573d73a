using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;

namespace Wallet.Gateway.Http;

/// <summary>
/// The routes of the HTTP API and what they share: authentication, authorisation (the SBE gateway's rules: only
/// admins create or close accounts; a client may debit, and read, only the accounts of its debit grant), result
/// mapping and Problem Details. Commands and exact reads in WalletEndpoints.Commands.cs, view reads in
/// WalletEndpoints.Views.cs.
/// </summary>
internal sealed partial class WalletEndpoints(
    HttpOptions options, HttpAuthenticator auth, CommandChannel commands, IRequestRouter router, JsonMapping map, LedgerCatalog catalog)
{
    public ReadModelStore? View { get; init; }
    public ReadModelProjector? Projector { get; init; }
    /// <summary>With several partitions: one read model and projector per partition (index = partition).</summary>
    public IReadOnlyList<ReadModelStore?>? Views { get; init; }
    public IReadOnlyList<ReadModelProjector?>? Projectors { get; init; }
    public Func<PartitionState>? PartitionState { get; init; }
    public Func<long>? AppliedIndex { get; init; }
    public Action? RequestSnapshot { get; init; }
    public Func<IReadOnlyDictionary<string, long>>? Counters { get; init; }

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Health);
        app.MapGet("/ready", Ready);
        app.MapGet("/openapi/v1.json", () => Results.Text(OpenApiDocument.Json, "application/json"));

        app.MapPost("/v1/wallet/balance_transfer", (Func<HttpContext, Task<IResult>>)BalanceTransfer);
        app.MapPost("/v1/accounts", (Func<HttpContext, Task<IResult>>)CreateAccount);
        app.MapPost("/v1/accounts/{id}/close", CloseAccount);
        app.MapGet("/v1/accounts/{id}", GetAccount);
        app.MapGet("/v1/transfers/{id}", GetTransfer);

        app.MapGet("/v1/accounts/{id}/history", GetHistory);
        app.MapGet("/v1/accounts/{id}/balance_at", GetBalanceAt);
        app.MapGet("/v1/accounts", FindAccounts);
        app.MapGet("/v1/readmodel", (Func<HttpContext, Task<IResult>>)GetReadModel);

        app.MapPost("/v1/admin/snapshot", (Func<HttpContext, Task<IResult>>)Snapshot);
        app.MapPost("/v1/admin/readmodel/rebuild", (Func<HttpContext, Task<IResult>>)RebuildReadModel);
        app.MapGet("/v1/admin/stat", (Func<HttpContext, Task<IResult>>)Stat);

        app.MapFallback(() => HttpProblem.Of(StatusCodes.Status404NotFound, "NoSuchRoute", "Not found", "no such route; see /openapi/v1.json"));
    }

    private IResult Health() =>
        Results.Json(new HealthJson("alive", PartitionState?.Invoke().ToString(), Projector?.State.ToString(), AppliedIndex?.Invoke()), HttpJson.Options);

    /// <summary>Ready = the partition accepts commands. The read model's state is reported, not required (reads say their position).</summary>
    private IResult Ready()
    {
        Engine.Partition.PartitionState state = PartitionState?.Invoke() ?? Engine.Partition.PartitionState.Running;
        var body = new HealthJson(state == Engine.Partition.PartitionState.Running ? "ready" : "not_ready", state.ToString(), Projector?.State.ToString(), AppliedIndex?.Invoke());
        return Results.Json(body, HttpJson.Options, statusCode: state == Engine.Partition.PartitionState.Running ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private async Task<(UserPrincipal? Principal, IResult? Problem)> AuthenticateAsync(HttpContext context)
    {
        (UserPrincipal? principal, AuthFailure failure) = await auth.AuthenticateAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (principal is not null)
        {
            // A peer's saga sequencer speaks SBE SystemTransfers only, a peer gateway forwards over SBE only: HTTP exposes
            // nothing to either.
            if (principal.IsSystem) return (null, Forbidden("a user of the system role may send only SystemTransfers, over the SBE gateway"));
            return principal.IsPeer
                ? (null, Forbidden("a user of the peer role is another node's SBE gateway forwarding requests; it has no HTTP access"))
                : (principal, null);
        }
        if (failure == AuthFailure.Busy)
        {
            context.Response.Headers.RetryAfter = "1";
            return (null, HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "Busy", "Busy", "too many credential checks at once; retry"));
        }
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"wallet\", Basic realm=\"wallet\"";
        return (null, failure switch
        {
            AuthFailure.Missing => HttpProblem.Of(StatusCodes.Status401Unauthorized, "NotAuthenticated", "Authentication required",
                "send Authorization: Bearer NAME:KEY (or Basic, or X-Api-Key: NAME:KEY)"),
            AuthFailure.Malformed => HttpProblem.Of(StatusCodes.Status401Unauthorized, "MalformedCredentials", "Authentication required",
                "credentials must be NAME:KEY (Bearer or X-Api-Key) or Basic base64(NAME:KEY)"),
            _ => HttpProblem.Of(StatusCodes.Status401Unauthorized, "BadCredentials", "Authentication failed", "unknown user or wrong key"),
        });
    }

    private static IResult Forbidden(string detail) => HttpProblem.Of(StatusCodes.Status403Forbidden, "Unauthorized", "Forbidden", detail);

    /// <summary>The response for an outcome that is not an answer; null when it is one.</summary>
    private IResult? OutcomeProblem(HttpContext context, CommandOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case CommandOutcomeKind.Answered:
                return null;
            case CommandOutcomeKind.Busy:
                context.Response.Headers.RetryAfter = "1";
                return HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "Busy", "Busy", "the partition's queue is full; nothing was applied; retry");
            case CommandOutcomeKind.NotRunning:
                return HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "NotRunning", "Not running", "the partition is not running");
            case CommandOutcomeKind.NotLeader:
                context.Response.Headers.RetryAfter = "1";
                return NotLeaderProblem(outcome.Leader);
            case CommandOutcomeKind.TimedOut:
                return HttpProblem.Of(StatusCodes.Status504GatewayTimeout, "Timeout", "Outcome unknown",
                    $"no committed result within {options.CommandTimeoutMs} ms: the command may still be applied; retry with the same id (ids make retries safe)");
            default:
                return HttpProblem.Of(StatusCodes.Status400BadRequest, "Refused", "Refused", $"the partition refused the request ({outcome.SubmitStatus})");
        }
    }

    /// <summary>
    /// 503 NotLeader, naming the leader when this node knows it: <c>leader_gateway</c> (its SBE gateway, host:port),
    /// <c>leader_http</c> (its HTTP API's base URL, when Cluster:Members publishes it) and <c>leader_term</c>.
    /// </summary>
    internal static IResult NotLeaderProblem(LeaderInfo leader)
    {
        if (!leader.IsKnownRemote)
        {
            string why = leader.IsLocal
                ? "this replica stopped leading with the request taken and has led again since; retry here with the same id"
                : "this replica does not lead the partition (or, for a cross-partition transfer, the saga sequencer) and no leader is known yet (an election is running): retry after Retry-After with the same id";
            return HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "NotLeader", "Not the leader", why);
        }
        string host = leader.Host!.Contains(':', StringComparison.Ordinal) ? "[" + leader.Host + "]" : leader.Host;
        var extra = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["leader_gateway"] = string.Create(CultureInfo.InvariantCulture, $"{host}:{leader.Port}"),
            ["leader_term"] = leader.Term,
        };
        string where = $"its SBE gateway is {extra["leader_gateway"]}";
        if (leader.HttpPort is > 0 and <= ushort.MaxValue)
        {
            string url = string.Create(CultureInfo.InvariantCulture, $"http://{host}:{leader.HttpPort}");
            extra["leader_http"] = url;
            where = $"its HTTP API is {url}";
        }
        return HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "NotLeader", "Not the leader",
            $"this replica does not lead the partition (or, for a cross-partition transfer, the saga sequencer), or stopped leading with the request taken. The leader (term {leader.Term}): {where}. Send the request there with the same id — a request that was taken is then answered with its one outcome, never applied twice", extra);
    }

    private static bool TryParseId(string text, out UInt128 id, out IResult? problem)
    {
        problem = null;
        if (IdText.TryParse(text, out id)) return true;
        problem = HttpProblem.BadRequest("InvalidId", $"'{(text.Length > 40 ? text[..40] : text)}' is not an id (a decimal number below 2^128, or a UUID)");
        return false;
    }

    private static IResult? ViewUnavailable(ReadModelStore? view) =>
        view is null ? HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "ReadModelUnavailable", "Read model unavailable", "this node runs without a read model") : null;

    /// <summary>The read model that holds <paramref name="accountId"/>: its partition's, or the only one.</summary>
    private ReadModelStore? ViewOf(UInt128 accountId) => ViewOfPartition(Views is null ? 0 : router.PartitionOf(accountId));

    private ReadModelStore? ViewOfPartition(int partition) =>
        Views is null ? (partition == 0 ? View : null) : (uint)partition < (uint)Views.Count ? Views[partition] : null;

    private ReadModelProjector? ProjectorOfPartition(int partition) =>
        Projectors is null ? (partition == 0 ? Projector : null) : (uint)partition < (uint)Projectors.Count ? Projectors[partition] : null;

    private int ViewCount => Views?.Count ?? 1;

    private byte ScaleOf(uint ledger) => map.CurrencyOf(ledger).Scale;
}
