using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Http;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;

namespace Wallet.Gateway.Http;

/// <summary>Commands (transfer, create/close account) and exact reads through the BLP.</summary>
internal sealed partial class WalletEndpoints
{
    private const int MaxCurrencyChars = 16;

    /// <summary>POST /v1/wallet/balance_transfer {from_account, to_account, amount: "12.34", currency, transaction_id[, code, user_data_128]}.</summary>
    private async Task<IResult> BalanceTransfer(HttpContext context)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        (JsonBody? body, IResult? bodyProblem) = await JsonBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null) return bodyProblem!;
        using (body)
        {
            if (!body.TryGetId("transaction_id", required: true, out UInt128 id, out string? error)
                || !body.TryGetId("from_account", required: true, out UInt128 from, out error)
                || !body.TryGetId("to_account", required: true, out UInt128 to, out error)
                || !body.TryGetString("currency", required: true, MaxCurrencyChars, out string? currency, out error)
                || !body.TryGetUInt("code", ushort.MaxValue, out uint code, out error)
                || !body.TryGetId("user_data_128", required: false, out UInt128 userData, out error))
                return HttpProblem.BadRequest("InvalidField", error!);
            if (!catalog.TryGetBySymbol(currency!, out LedgerDefinition? ledger))
                return HttpProblem.Ledger(ResultCode.LedgerNotConfigured, $"currency '{currency}' is not configured");
            if (!body.TryGetAmount("amount", ledger!.Scale, out long amount, out error))
                return HttpProblem.BadRequest("InvalidAmount", error!);
            string? unknown = body.UnknownMember();
            if (unknown is not null) return HttpProblem.BadRequest("UnknownMember", $"unknown member '{unknown}'");
            if (!principal.MayDebit(from)) return Forbidden($"user '{principal.Name}' may not debit account {IdText.Format(from)}; nothing applied");

            var transfer = new Transfer
            {
                Id = id, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = ledger.Code,
                Code = (ushort)(code == 0 ? 1 : code), UserData128 = userData,
            };
            CommandOutcome outcome;
            if (router.PartitionOf(from) != router.PartitionOf(to))
            {
                // Not one partition's atomic command: the cross-partition seam (the saga coordinator), or refused.
                if (!router.CrossPartition.Enabled)
                    return HttpProblem.BadRequest("CrossPartition", RefuseCrossPartitionTransfers.RefusalText);
                outcome = await commands.SubmitCrossPartitionAsync(transfer, context.RequestAborted).ConfigureAwait(false);
                return CommandResult(context, outcome, id, created: false, location: null);
            }
            byte[] payload = MemoryMarshal.AsBytes(new ReadOnlySpan<Transfer>(in transfer)).ToArray();
            outcome = await commands.SubmitAsync(router.PartitionOf(from), (ushort)CommandKind.CreateTransfers, payload, context.RequestAborted).ConfigureAwait(false);
            return CommandResult(context, outcome, id, created: false, location: null);
        }
    }

    /// <summary>POST /v1/accounts {id, currency[, code, flags, user_data_128, user_data_64, user_data_32]} (admin).</summary>
    private async Task<IResult> CreateAccount(HttpContext context)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        if (!principal.IsAdmin) return Forbidden("creating accounts needs the admin role");
        (JsonBody? body, IResult? bodyProblem) = await JsonBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null) return bodyProblem!;
        using (body)
        {
            if (!body.TryGetId("id", required: true, out UInt128 id, out string? error)
                || !body.TryGetString("currency", required: true, MaxCurrencyChars, out string? currency, out error)
                || !body.TryGetUInt("code", ushort.MaxValue, out uint code, out error)
                || !body.TryGetId("user_data_128", required: false, out UInt128 userData128, out error)
                || !body.TryGetUInt("user_data_32", uint.MaxValue, out uint userData32, out error)
                || !body.TryGetStringArray("flags", 8, out List<string> flagNames, out error))
                return HttpProblem.BadRequest("InvalidField", error!);
            string? unknown = body.UnknownMember();
            if (unknown is not null) return HttpProblem.BadRequest("UnknownMember", $"unknown member '{unknown}'");
            if (!catalog.TryGetBySymbol(currency!, out LedgerDefinition? ledger))
                return HttpProblem.Ledger(ResultCode.LedgerNotConfigured, $"currency '{currency}' is not configured");
            AccountFlags flags = AccountFlags.None;
            foreach (string name in flagNames)
            {
                AccountFlags? flag = null;
                foreach ((AccountFlags f, string n) in JsonMapping.AccountFlagTable)
                {
                    if (string.Equals(n, name, StringComparison.Ordinal) && f != AccountFlags.Closed) flag = f;
                }
                if (flag is null) return HttpProblem.BadRequest("InvalidField", $"unknown account flag '{name}' (debits_must_not_exceed_credits, credits_must_not_exceed_debits, history)");
                flags |= flag.Value;
            }
            var account = new Account
            {
                Id = id, Ledger = ledger!.Code, Code = (ushort)(code == 0 ? 1 : code), Flags = flags, UserData128 = userData128, UserData32 = userData32,
            };
            byte[] payload = MemoryMarshal.AsBytes(new ReadOnlySpan<Account>(in account)).ToArray();
            CommandOutcome outcome = await commands.SubmitAsync(router.PartitionOf(id), (ushort)CommandKind.CreateAccounts, payload, context.RequestAborted).ConfigureAwait(false);
            return CommandResult(context, outcome, id, created: true, location: "/v1/accounts/" + IdText.Format(id));
        }
    }

    /// <summary>POST /v1/accounts/{id}/close (admin).</summary>
    private async Task<IResult> CloseAccount(HttpContext context, string id)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        if (!principal.IsAdmin) return Forbidden("closing accounts needs the admin role");
        if (!TryParseId(id, out UInt128 accountId, out IResult? problem)) return problem!;
        byte[] payload = MemoryMarshal.AsBytes(new ReadOnlySpan<UInt128>(in accountId)).ToArray();
        CommandOutcome outcome = await commands.SubmitAsync(router.PartitionOf(accountId), (ushort)CommandKind.CloseAccounts, payload, context.RequestAborted).ConfigureAwait(false);
        return CommandResult(context, outcome, accountId, created: false, location: null);
    }

    private IResult CommandResult(HttpContext context, CommandOutcome outcome, UInt128 id, bool created, string? location)
    {
        IResult? problem = OutcomeProblem(context, outcome);
        if (problem is not null) return problem;
        if (outcome.Results.Length == 0)
            return HttpProblem.Of(StatusCodes.Status500InternalServerError, "InternalError", "Internal error", "the partition answered without a result");
        ResultCode code = outcome.Results[0].Code;
        var json = new CommandJson(IdText.Format(id), code.ToString(), outcome.Index, outcome.TimestampNs);
        if (code == ResultCode.Ok)
            return created && location is not null ? new CreatedJson(location, json) : Results.Json(json, HttpJson.Options);
        // A repeat of the same request: the original outcome stands (idempotency by id).
        if (code == ResultCode.Exists) return Results.Json(json, HttpJson.Options);
        switch (code)
        {
            case ResultCode.SagaTableFull:
                // Backpressure, not a verdict on the transfer: retrying the same id later is the right move.
                context.Response.Headers.RetryAfter = "1";
                return HttpProblem.Ledger(code, "the saga sequencer has too many cross-partition transfers in flight; nothing applied; retry with the same id", outcome.Index);
            case ResultCode.AccountLocked:
                context.Response.Headers.RetryAfter = "1";
                return HttpProblem.Ledger(code, "an account of this transfer is locked by a prepared two-phase commit; nothing applied; retry with the same id once it commits or aborts", outcome.Index);
            case ResultCode.StepOutcomeForgotten:
                return HttpProblem.Ledger(code, "outcome unknown: a step of this cross-partition transfer was retried after its partition's idempotency window had forgotten it; the source's hold is kept for an operator to reconcile (docs/SAGA.md). A retry with the same id returns this same answer", outcome.Index);
        }
        return HttpProblem.Ledger(code, $"refused: {code}; nothing applied", outcome.Index);
    }

    /// <summary>GET /v1/accounts/{id}[?source=exact|view]: exact (default) asks the BLP; view reads the read model.</summary>
    private async Task<IResult> GetAccount(HttpContext context, string id, string? source)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        if (!TryParseId(id, out UInt128 accountId, out IResult? problem)) return problem!;
        if (!principal.MayDebit(accountId)) return Forbidden($"user '{principal.Name}' is not granted account {IdText.Format(accountId)}");
        if (!QueryText.TryParseSource(source, out bool fromView, out string? error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        if (fromView)
        {
            Engine.ReadModel.ReadModelStore? store = ViewOf(accountId);
            if (ViewUnavailable(store) is { } unavailable) return unavailable;
            if (!store!.TryGetAccount(accountId, out Engine.ReadModel.AccountView view, out Engine.ReadModel.ViewPosition position))
                return HttpProblem.Of(StatusCodes.Status404NotFound, "AccountNotFound", "Not found", $"the read model (at index {position.Index}) has no account {IdText.Format(accountId)}");
            return Results.Json(map.Account(view.Account, JsonMapping.View(position)), HttpJson.Options);
        }
        byte[] payload = MemoryMarshal.AsBytes(new ReadOnlySpan<UInt128>(in accountId)).ToArray();
        CommandOutcome outcome = await commands.SubmitAsync(router.PartitionOf(accountId), QueryKind.LookupAccounts, payload, context.RequestAborted).ConfigureAwait(false);
        if (OutcomeProblem(context, outcome) is { } outcomeProblem) return outcomeProblem;
        if (outcome.Payload.Length < Account.SizeBytes)
            return HttpProblem.Of(StatusCodes.Status404NotFound, "AccountNotFound", "Not found", $"no account {IdText.Format(accountId)}");
        Account account = MemoryMarshal.Read<Account>(outcome.Payload);
        return Results.Json(map.Account(account, JsonMapping.Exact(outcome.Index, outcome.TimestampNs)), HttpJson.Options);
    }

    /// <summary>GET /v1/transfers/{id}[?source=exact|view]. A client sees a transfer only if it may debit one of its accounts (else 404: no existence leak).</summary>
    private async Task<IResult> GetTransfer(HttpContext context, string id, string? source)
    {
        (UserPrincipal? principal, IResult? authProblem) = await AuthenticateAsync(context).ConfigureAwait(false);
        if (principal is null) return authProblem!;
        if (!TryParseId(id, out UInt128 transferId, out IResult? problem)) return problem!;
        IResult notFound = HttpProblem.Of(StatusCodes.Status404NotFound, "TransferNotFound", "Not found", $"no transfer {IdText.Format(transferId)}");
        if (!QueryText.TryParseSource(source, out bool fromView, out string? error)) return HttpProblem.BadRequest("InvalidParameter", error!);
        if (fromView)
        {
            // A transfer id names no partition: every partition's view is asked (a same-partition transfer is in one).
            for (int p = 0; p < ViewCount; p++)
            {
                Engine.ReadModel.ReadModelStore? store = ViewOfPartition(p);
                if (ViewUnavailable(store) is { } unavailable) return unavailable;
                if (!store!.TryGetTransfer(transferId, out Engine.ReadModel.TransferView view, out Engine.ReadModel.ViewPosition position)) continue;
                if (!MaySee(principal, view.Transfer)) return notFound;
                return Results.Json(map.Transfer(view.Transfer, JsonMapping.View(position), view), HttpJson.Options);
            }
            return notFound;
        }
        byte[] payload = MemoryMarshal.AsBytes(new ReadOnlySpan<UInt128>(in transferId)).ToArray();
        // Transfer ids do not name a partition: each partition is asked in turn until one has it.
        CommandOutcome outcome = CommandOutcome.Failed(CommandOutcomeKind.Answered);
        for (int p = 0; p < router.PartitionCount; p++)
        {
            outcome = await commands.SubmitAsync(p, QueryKind.LookupTransfers, payload, context.RequestAborted).ConfigureAwait(false);
            if (OutcomeProblem(context, outcome) is { } outcomeProblem) return outcomeProblem;
            if (outcome.Payload.Length >= Transfer.SizeBytes) break;
        }
        if (outcome.Payload.Length < Transfer.SizeBytes)
        {
            // The ledger remembers transfers for its idempotency window only; the read model keeps all of them.
            return HttpProblem.Of(StatusCodes.Status404NotFound, "TransferNotFound", "Not found",
                $"no transfer {IdText.Format(transferId)} in the ledger's idempotency window (the newest transfers, Ledger:TransferRetentionCount per partition); an older transfer is in the read model: ?source=view");
        }
        Transfer transfer = MemoryMarshal.Read<Transfer>(outcome.Payload);
        if (!MaySee(principal, transfer)) return notFound;
        return Results.Json(map.Transfer(transfer, JsonMapping.Exact(outcome.Index, outcome.TimestampNs)), HttpJson.Options);
    }

    private static bool MaySee(UserPrincipal principal, in Transfer t) =>
        principal.IsAdmin || principal.MayDebit(t.DebitAccountId) || principal.MayDebit(t.CreditAccountId);

    /// <summary>201 Created with a Location header and a JSON body.</summary>
    private sealed class CreatedJson(string location, CommandJson body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return Results.Json(body, HttpJson.Options, statusCode: StatusCodes.Status201Created).ExecuteAsync(httpContext);
        }
    }
}
