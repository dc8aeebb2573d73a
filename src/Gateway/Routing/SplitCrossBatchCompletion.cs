using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The outcomes of a split request's cross-partition transfers offered as one batch: each fills its item's result in the
/// request's <see cref="SplitEntry"/> (position → original index; the key guards against an entry already answered and
/// reused). One object per request, whatever the number of such transfers.
/// </summary>
internal sealed class SplitCrossBatchCompletion(SplitTable table, SplitEntry entry, long key) : ICrossPartitionBatchCompletion
{
    public void OnCompleted(int item, ResultCode code, long timestampNs) => table.OnCrossBatchOutcome(entry, key, item, code, timestampNs);

    public void OnNotLeader(int item) => table.OnCrossNotLeader(entry, key);
}
