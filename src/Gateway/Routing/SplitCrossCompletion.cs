using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The outcome of one cross-partition transfer inside a split request: it fills that item's result in the request's
/// <see cref="SplitEntry"/> (the key guards against an entry already answered and reused). One per such transfer, like
/// <see cref="SessionCrossPartitionCompletion"/>: the saga path allocates per transfer anyway.
/// </summary>
internal sealed class SplitCrossCompletion(SplitTable table, SplitEntry entry, long key, int originalIndex) : ICrossPartitionCompletion
{
    private int _completed;

    public void OnCompleted(ResultCode code, long timestampNs)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        table.OnCrossOutcome(entry, key, originalIndex, code, timestampNs);
    }

    public void OnNotLeader()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        table.OnCrossNotLeader(entry, key);
    }
}
