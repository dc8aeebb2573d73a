using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The outcome of one cross-partition transfer inside a split request: it fills that item's result in the request's
/// <see cref="SplitEntry"/> (the key guards against an entry already answered and reused). One per such transfer, like
/// the request's own entry (a split request allocates its entry anyway). Keeps a once-only guard: its key may be reused.
/// </summary>
internal sealed class SplitCrossCompletion(SplitTable table, SplitEntry entry, long key, int originalIndex) : ICrossPartitionCompletion
{
    private int _completed;

    public object? SeamAdapter { get; set; }

    public void OnCompleted(long correlationId, ResultCode code, long timestampNs)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        table.OnCrossOutcome(entry, key, originalIndex, code, timestampNs);
    }

    public void OnNotLeader(long correlationId)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        table.OnCrossNotLeader(entry, key);
    }
}
