using Microsoft.AspNetCore.Http;
using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Http;

/// <summary>
/// RFC 9457 Problem Details for every error the API returns (media type application/problem+json). Each carries
/// our own code in <c>code</c> (a ledger <see cref="ResultCode"/> name, or an HTTP-layer code such as
/// <c>InvalidJson</c>), and for ledger rejections the numeric <c>result_code</c> of docs/PROTOCOL.md.
/// </summary>
public static class HttpProblem
{
    public const string TypeBase = "urn:wallet:problem:";

    public static IResult Of(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extra = null)
    {
        GatewayMetrics.HttpReject(code);
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code };
        if (extra is not null)
        {
            foreach (KeyValuePair<string, object?> kv in extra) extensions[kv.Key] = kv.Value;
        }
        return Results.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + code, extensions: extensions);
    }

    public static IResult Ledger(ResultCode code, string? detail = null, long index = 0)
    {
        int status = StatusOf(code);
        var extra = new Dictionary<string, object?>(StringComparer.Ordinal) { ["result_code"] = (uint)code };
        if (index > 0) extra["index"] = index;
        return Of(status, code.ToString(), TitleOf(status), detail, extra);
    }

    public static IResult BadRequest(string code, string detail) => Of(StatusCodes.Status400BadRequest, code, "Bad request", detail);

    /// <summary>Repeats with different fields conflict (409); a missing account is 404 only where the path names it; other rule breaks are 422.</summary>
    public static int StatusOf(ResultCode code)
    {
        if (code is ResultCode.ExistsWithDifferentFlags or ResultCode.ExistsWithDifferentUserData128 or ResultCode.ExistsWithDifferentUserData64
            or ResultCode.ExistsWithDifferentUserData32 or ResultCode.ExistsWithDifferentLedger or ResultCode.ExistsWithDifferentCode
            or ResultCode.ExistsWithDifferentDebitAccountId or ResultCode.ExistsWithDifferentCreditAccountId or ResultCode.ExistsWithDifferentAmount
            or ResultCode.ExistsWithDifferentPendingId or ResultCode.ExistsWithDifferentTimeout)
            return StatusCodes.Status409Conflict;
        if (code == ResultCode.AccountNotFound) return StatusCodes.Status404NotFound;
        // Transient: nothing applied, the same request may succeed later (sent with Retry-After).
        if (code == ResultCode.SagaTableFull) return StatusCodes.Status503ServiceUnavailable;
        if (code == ResultCode.AccountLocked) return StatusCodes.Status409Conflict;
        // Not a refusal: the outcome is unknown and needs an operator.
        if (code == ResultCode.StepOutcomeForgotten) return StatusCodes.Status500InternalServerError;
        return StatusCodes.Status422UnprocessableEntity;
    }

    private static string TitleOf(int status) => status switch
    {
        StatusCodes.Status503ServiceUnavailable => "Busy",
        StatusCodes.Status500InternalServerError => "Outcome unknown",
        StatusCodes.Status409Conflict => "Conflicts with an earlier request of the same id",
        StatusCodes.Status404NotFound => "Not found",
        _ => "Refused by the ledger",
    };
}
