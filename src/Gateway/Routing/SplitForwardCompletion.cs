using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The answer of another node to the items of a split request forwarded there (part <paramref name="part"/> of the
/// request's <see cref="SplitEntry"/>; the key guards against an entry already answered and reused).
/// <paramref name="partition"/> is one of the part's partitions: where the client is sent when the outcome is unknown.
/// </summary>
internal sealed class SplitForwardCompletion(SplitTable table, SplitEntry entry, long key, int part, int partition) : IForwardCompletion
{
    public void OnResults(ReadOnlySpan<ResultCode> codes, long logIndex, long timestampNs) =>
        table.OnForwardResults(entry, key, part, codes, logIndex, timestampNs);

    public void OnFound(ReadOnlySpan<Account> found, long logIndex) => table.OnForwardFound(entry, key, part, found, logIndex);

    public void OnNotTaken(ResultCode code) => table.OnForwardNotTaken(entry, key, part, code);

    public void OnOutcomeUnknown() => table.OnForwardUnknown(entry, key, partition);
}
