using Microsoft.AspNetCore.Http;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Auth;

namespace Wallet.Gateway.Http;

/// <summary>Operator endpoints (admin role): snapshot on demand, read-model rebuild, live counters.</summary>
internal sealed partial class WalletEndpoints
{
    private async Task<(UserPrincipal? Admin, IResult? Problem)> AdminAsync(HttpContext context)
    {
        (UserPrincipal? principal, IResult? problem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return (null, problem);
        return principal.IsAdmin ? (principal, null) : (null, Forbidden("operator endpoints need the admin role"));
    }

    /// <summary>POST /v1/admin/snapshot: the BLP writes a snapshot at its next batch end (202: requested, not yet written).</summary>
    private async Task<IResult> Snapshot(HttpContext context)
    {
        (UserPrincipal? admin, IResult? problem) = await AdminAsync(context).ConfigureAwait(false);
        if (admin is null) return problem!;
        if (RequestSnapshot is null) return HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "NotSupported", "Not supported", "this node does not take snapshots on request");
        RequestSnapshot();
        return Results.Json(new Dictionary<string, object?> { ["requested"] = true, ["applied_index"] = AppliedIndex?.Invoke() }, HttpJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>POST /v1/admin/readmodel/rebuild: the projector clears the view and projects the journal again (202).</summary>
    private async Task<IResult> RebuildReadModel(HttpContext context)
    {
        (UserPrincipal? admin, IResult? problem) = await AdminAsync(context).ConfigureAwait(false);
        if (admin is null) return problem!;
        // Every partition's read model is rebuilt (each from its own event journal).
        long rebuilds = 0;
        for (int p = 0; p < ViewCount; p++)
        {
            if (ProjectorOfPartition(p) is null) return HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "ReadModelUnavailable", "Read model unavailable", "this node runs without a read model");
        }
        for (int p = 0; p < ViewCount; p++)
        {
            ReadModelProjector projector = ProjectorOfPartition(p)!;
            projector.RequestRebuild();
            rebuilds += projector.Rebuilds;
        }
        return Results.Json(new Dictionary<string, object?> { ["requested"] = true, ["rebuilds_so_far"] = rebuilds }, HttpJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>GET /v1/admin/stat: the node's live counters (like AeronStat), plus the HTTP API's own.</summary>
    private async Task<IResult> Stat(HttpContext context)
    {
        (UserPrincipal? admin, IResult? problem) = await AdminAsync(context).ConfigureAwait(false);
        if (admin is null) return problem!;
        var counters = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (Counters is not null)
        {
            foreach (KeyValuePair<string, long> kv in Counters()) counters[kv.Key] = kv.Value;
        }
        counters["http.in_flight_commands"] = commands.InFlight;
        counters["http.late_results"] = commands.LateResults;
        for (int p = 0; p < ViewCount; p++)
        {
            if (ProjectorOfPartition(p) is not { } projector) continue;
            // One partition: the plain names; several: one labelled counter per partition (as on /metrics).
            string label = ViewCount == 1 ? string.Empty : PartitionLabel.Of(p);
            Engine.ReadModel.ReadModelLag lag = projector.Lag;
            counters["readmodel.index" + label] = lag.ViewIndex;
            counters["readmodel.lag_records" + label] = lag.Events;
            counters["readmodel.lag_ms" + label] = lag.BehindMs;
            counters["readmodel.age_ms" + label] = lag.AgeMs;
            counters["readmodel.events_applied" + label] = projector.EventsApplied;
            counters["readmodel.rebuilds" + label] = projector.Rebuilds;
            counters["readmodel.faulted" + label] = projector.State == Engine.ReadModel.ProjectorState.Faulted ? 1 : 0;
            counters["readmodel.event_journal_recheck" + label] = projector.EventJournalRecheckRequested ? 1 : 0;
        }
        return Results.Json(counters, HttpJson.Options);
    }
}
