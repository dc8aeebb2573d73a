using System.Text;
using Microsoft.AspNetCore.Http;
using Wallet.Gateway.Http;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// What the HTTP gateway does with a request body before it builds a command: <see cref="JsonBody.ReadAsync"/> (size
/// limit, JSON syntax, depth), then the same getters in the same order as the transfer and account endpoints. Every
/// outcome must be a value or a refusal with a text (the 400 the client gets); an exception is a crash (a 500).
/// </summary>
internal static class JsonBodyTarget
{
    private const int MaxBodyBytes = 64 * 1024; // HttpOptions.MaxRequestBodyBytes default order of magnitude

    public static void Run(ReadOnlySpan<byte> input)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new MemoryStream(input.ToArray(), writable: false);
        context.Request.ContentLength = input.Length;
        (JsonBody? body, IResult? problem) = JsonBody.ReadAsync(context.Request, MaxBodyBytes, CancellationToken.None).GetAwaiter().GetResult();
        if (body is null)
        {
            if (problem is null) throw new FuzzFinding("JsonBody: neither a body nor a problem");
            return;
        }
        using (body)
        {
            Check(body.TryGetId("transaction_id", required: true, out _, out string? error), error);
            Check(body.TryGetId("from_account", required: true, out _, out error), error);
            Check(body.TryGetId("to_account", required: false, out _, out error), error);
            Check(body.TryGetString("currency", required: false, 16, out _, out error), error);
            Check(body.TryGetUInt("code", ushort.MaxValue, out uint code, out error), error);
            if (code > ushort.MaxValue) throw new FuzzFinding("JsonBody: TryGetUInt returned a value above its maximum");
            Check(body.TryGetId("user_data_128", required: false, out _, out error), error);
            Check(body.TryGetAmount("amount", 2, out long amount, out error), error);
            Check(body.TryGetStringArray("flags", 8, out List<string> flags, out error), error);
            if (flags.Count > 8) throw new FuzzFinding("JsonBody: more flags than the limit");
            _ = body.UnknownMember();
            GC.KeepAlive(amount);
        }
    }

    private static void Check(bool ok, string? error)
    {
        if (!ok && string.IsNullOrEmpty(error)) throw new FuzzFinding("JsonBody: a refusal without a text");
    }

    public static IReadOnlyList<byte[]> Seeds()
    {
        string[] bodies =
        [
            """{"transaction_id":"7001","from_account":"1","to_account":"2","amount":"12.34","currency":"USD"}""",
            """{"transaction_id":"0x1b","from_account":"00000000-0000-0000-0000-000000000001","to_account":"2","amount":"0.01","currency":"USD","code":7,"user_data_128":"9"}""",
            """{"id":"5","currency":"EUR","code":1,"flags":["debits_must_not_exceed_credits","history"],"user_data_32":3}""",
            """{"transaction_id":1,"amount":12.5,"extra":null}""",
            """[]""",
        ];
        var seeds = new List<byte[]>(bodies.Length);
        foreach (string b in bodies) seeds.Add(Encoding.UTF8.GetBytes(b));
        return seeds;
    }
}
