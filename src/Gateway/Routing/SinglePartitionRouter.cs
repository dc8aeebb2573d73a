using Wallet.Engine.Partition;

namespace Wallet.Gateway.Routing;

/// <summary>Single-node, single-partition routing: every account lives on partition 0.</summary>
public sealed class SinglePartitionRouter(PartitionEngine partition) : IRequestRouter
{
    private readonly PartitionEngine _partition = partition ?? throw new ArgumentNullException(nameof(partition));

    public int PartitionCount => 1;

    public int PartitionOf(UInt128 accountId) => 0;

    public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) =>
        _partition.TrySubmit(kind, correlationId, sessionId, payload);
}
