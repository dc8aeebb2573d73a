using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Where the outcomes of a batch of cross-partition transfers offered together
/// (<see cref="ICrossPartitionTransfers.TrySubmit(ReadOnlySpan{Transfer}, long, ICrossPartitionBatchCompletion)"/>) go:
/// one call per transfer, naming its position in the batch, exactly once each (an outcome or NotLeader), from any
/// thread, never blocking. One object serves the whole batch (a split request's cross-partition items).
/// </summary>
public interface ICrossPartitionBatchCompletion
{
    /// <summary>Transfer <paramref name="item"/> of the batch ended: same meaning as <see cref="ICrossPartitionCompletion.OnCompleted"/>.</summary>
    void OnCompleted(int item, ResultCode code, long timestampNs);

    /// <summary>The coordinator stopped leading before transfer <paramref name="item"/>'s outcome was decided (outcome unknown).</summary>
    void OnNotLeader(int item);
}
