using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The one-item result array of a cross-partition transfer's answer, borrowed for the duration of one
/// <c>OnResult</c> call: every result handler copies what it needs before it returns (the egress contract — "the slot is
/// reused"), so one array per thread serves every answer instead of one allocation each.
/// </summary>
internal static class SingleResult
{
    [ThreadStatic] private static CreateResult[]? t_one;

    /// <summary>This thread's one-item array holding (0, <paramref name="code"/>); valid until the thread's next call.</summary>
    public static CreateResult[] Of(ResultCode code)
    {
        CreateResult[] one = t_one ??= new CreateResult[1];
        one[0] = new CreateResult(0, code);
        return one;
    }
}
