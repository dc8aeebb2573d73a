using Microsoft.AspNetCore.Http;
using Wallet.Engine.Audit;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Auth;

namespace Wallet.Gateway.Http;

/// <summary>Reads answered by the read model: history, balance-at, accounts by user data, the view's own state.</summary>
internal sealed partial class WalletEndpoints
{
    /// <summary>GET /v1/accounts/{id}/history?from=&amp;to=&amp;order=desc|asc&amp;limit=&amp;cursor=</summary>
    private async Task<IResult> GetHistory(HttpContext context, string id, string? from, string? to, string? order, string? limit, string? cursor)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        if (!TryParseId(id, out UInt128 accountId, out IResult? problem)) return problem!;
        if (!principal.MayDebit(accountId)) return Forbidden($"user '{principal.Name}' is not granted account {IdText.Format(accountId)}");
        ReadModelStore? view = ViewOf(accountId);
        if (ViewUnavailable(view) is { } unavailable) return unavailable;
        long fromNs = 0, toNs = long.MaxValue;
        string? error;
        if (from is not null && !QueryText.TryParseTime("from", from, out fromNs, out error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        if (to is not null && !QueryText.TryParseTime("to", to, out toNs, out error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        if (fromNs > toNs) return HttpProblem.BadRequest("InvalidParameter", "from is after to");
        if (!QueryText.TryParseOrder(order, out bool newestFirst, out error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        if (!QueryText.TryParseLimit(limit, out int pageSize, out error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        if (!view!.TryGetAccount(accountId, out AccountView account, out ViewPosition known))
            return HttpProblem.Of(StatusCodes.Status404NotFound, "AccountNotFound", "Not found", $"the read model (at index {known.Index}) has no account {IdText.Format(accountId)}");
        HistoryPage page;
        try
        {
            page = view.GetHistory(new HistoryQuery
            {
                AccountId = accountId, FromTimestampNs = fromNs, ToTimestampNs = toNs, NewestFirst = newestFirst, Limit = pageSize, Cursor = cursor,
            });
        }
        catch (FormatException)
        {
            return HttpProblem.BadRequest("InvalidParameter", "cursor is not one this API returned");
        }
        (string currency, byte scale) = map.CurrencyOf(account.Account.Ledger);
        var rows = new List<HistoryRowJson>(page.Rows.Count);
        foreach (HistoryRow row in page.Rows) rows.Add(map.HistoryRow(row, scale));
        return Results.Json(new HistoryJson(IdText.Format(accountId), currency, newestFirst ? "desc" : "asc", rows, page.NextCursor, JsonMapping.View(page.View)), HttpJson.Options);
    }

    /// <summary>GET /v1/accounts/{id}/balance_at?index=N | ?time=RFC3339 | ?timestamp_ns=N (exactly one).</summary>
    private async Task<IResult> GetBalanceAt(HttpContext context, string id, string? index, string? time, string? timestamp_ns)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        if (!TryParseId(id, out UInt128 accountId, out IResult? problem)) return problem!;
        if (!principal.MayDebit(accountId)) return Forbidden($"user '{principal.Name}' is not granted account {IdText.Format(accountId)}");
        ReadModelStore? view = ViewOf(accountId);
        if (ViewUnavailable(view) is { } unavailable) return unavailable;
        int given = (index is null ? 0 : 1) + (time is null ? 0 : 1) + (timestamp_ns is null ? 0 : 1);
        if (given != 1) return HttpProblem.BadRequest("InvalidParameter", "give exactly one of index, time, timestamp_ns");
        if (!QueryText.TryParseNonNegative("index", index, out long? indexValue, out string? error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        if (!QueryText.TryParseNonNegative("timestamp_ns", timestamp_ns, out long? timestampNs, out error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        ReplayTarget target;
        if (indexValue is { } i)
        {
            target = ReplayTarget.AtIndex(i);
        }
        else
        {
            long ns = timestampNs ?? 0;
            if (time is not null && !QueryText.TryParseTime("time", time, out ns, out error)) return HttpProblem.BadRequest("InvalidParameter", error!);
            target = ReplayTarget.AtTime(ns);
        }
        if (!view!.TryGetAccount(accountId, out AccountView account, out ViewPosition known))
            return HttpProblem.Of(StatusCodes.Status404NotFound, "AccountNotFound", "Not found", $"the read model (at index {known.Index}) has no account {IdText.Format(accountId)}");
        BalanceAt answer = view.GetBalanceAt(accountId, target);
        if (answer.Status == BalanceAtStatus.ViewBehind)
        {
            context.Response.Headers.RetryAfter = "1";
            return HttpProblem.Of(StatusCodes.Status503ServiceUnavailable, "ViewBehind", "Read model behind",
                $"the read model is at index {answer.View.Index}, before the requested index {target.Index}; retry shortly",
                new Dictionary<string, object?>(StringComparer.Ordinal) { ["view_index"] = answer.View.Index });
        }
        (string currency, byte scale) = map.CurrencyOf(account.Account.Ledger);
        bool found = answer.Status == BalanceAtStatus.Found;
        return Results.Json(new BalanceAtJson(IdText.Format(accountId), currency,
            indexValue, indexValue is null ? target.TimestampNs : null, found,
            found ? answer.ChangeIndex : null, found ? answer.ChangeTimestampNs : null,
            found ? JsonMapping.Balances(answer.Balances, scale) : null, JsonMapping.View(answer.View)), HttpJson.Options);
    }

    /// <summary>GET /v1/accounts?user_data_128=X[&amp;limit=&amp;after=] (admin): accounts by user data, from the view.</summary>
    private async Task<IResult> FindAccounts(HttpContext context, string? user_data_128, string? limit, string? after)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        if (!principal.IsAdmin) return Forbidden("listing accounts needs the admin role");
        for (int p = 0; p < ViewCount; p++)
        {
            if (ViewUnavailable(ViewOfPartition(p)) is { } unavailable) return unavailable;
        }
        if (user_data_128 is null || !IdText.TryParse(user_data_128, out UInt128 userData))
            return HttpProblem.BadRequest("InvalidParameter", "user_data_128 is required (an id)");
        UInt128 afterId = UInt128.Zero;
        if (after is not null && !IdText.TryParse(after, out afterId)) return HttpProblem.BadRequest("InvalidParameter", "after must be an account id");
        if (!QueryText.TryParseLimit(limit, out int pageSize, out string? error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        IReadOnlyList<AccountView> accounts = ViewOfPartition(0)!.GetAccountsByUserData(userData, pageSize, afterId, out ViewPosition position);
        if (ViewCount > 1)
        {
            // Every partition's view holds its own accounts: one page from each, merged by id, cut to the page size.
            // The position reported is partition 0's (each view has its own index; GET /v1/readmodel?partition=p has the rest).
            var merged = new List<AccountView>(accounts);
            for (int p = 1; p < ViewCount; p++) merged.AddRange(ViewOfPartition(p)!.GetAccountsByUserData(userData, pageSize, afterId, out _));
            merged.Sort(static (a, b) => a.Account.Id.CompareTo(b.Account.Id));
            if (merged.Count > pageSize) merged.RemoveRange(pageSize, merged.Count - pageSize);
            accounts = merged;
        }
        var list = new List<AccountJson>(accounts.Count);
        SourceJson source = JsonMapping.View(position);
        foreach (AccountView a in accounts) list.Add(map.Account(a.Account, source));
        return Results.Json(new AccountListJson(list, source), HttpJson.Options);
    }

    /// <summary>GET /v1/readmodel[?partition=p]: a view's position, lag and state (each partition has its own; default 0).</summary>
    private async Task<IResult> GetReadModel(HttpContext context)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        string? text = context.Request.Query["partition"];
        if (!QueryText.TryParsePartition(text, ViewCount, out int partition, out string? error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        ReadModelStore? view = ViewOfPartition(partition);
        if (ViewUnavailable(view) is { } unavailable) return unavailable;
        ReadModelProjector? projector = ProjectorOfPartition(partition);
        ViewPosition position = view!.Position;
        ReadModelLag lag = projector?.Lag ?? new ReadModelLag(position.Index, position.Index, 0, 0);
        return Results.Json(new ReadModelJson(projector?.State.ToString() ?? "ReadOnly", position.Index, position.TimestampNs, position.EventsApplied,
            lag.JournalIndex, lag.Events, lag.BehindMs, lag.AgeMs, projector?.Rebuilds ?? 0, projector?.LastError?.Message,
            projector?.EventJournalRecheckRequested ?? false), HttpJson.Options);
    }
}
