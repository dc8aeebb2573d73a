namespace Wallet.Gateway.Routing;

/// <summary>
/// One session's working space for splitting a request over partitions (used only on its receive loop): each item's
/// partition (<see cref="CrossPartitionItem"/> for a transfer across partitions), the original indexes of the items of
/// the part being built, and that part's payload. Sized for the gateway's MaxBatchSize once; nothing per request.
/// </summary>
internal sealed class SplitBuffers(int maxBatchSize)
{
    /// <summary>An item that is a transfer whose two accounts live on different partitions (goes to the saga seam).</summary>
    public const int CrossPartitionItem = -2;

    public int[] ItemPartition { get; } = new int[maxBatchSize];
    public int[] Indexes { get; } = new int[maxBatchSize];
    public byte[] Payload { get; } = GC.AllocateUninitializedArray<byte>(maxBatchSize * 128);
}
