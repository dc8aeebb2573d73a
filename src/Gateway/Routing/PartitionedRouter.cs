using Wallet.Engine.Partition;

namespace Wallet.Gateway.Routing;

/// <summary>
/// N partitions in this process: an account's partition is <see cref="PartitionMap.PartitionOf"/> of its id, the same
/// function every gateway and client uses. Each partition is its own pipeline (ingress ring, journal, BLP), so
/// same-partition work scales with the partitions; a transfer across partitions goes to <see cref="CrossPartition"/>
/// (the saga coordinator's seam; by default it is refused whole).
/// </summary>
public sealed class PartitionedRouter : IRequestRouter
{
    private readonly PartitionEngine[] _partitions;
    private readonly PartitionMap _map;

    private readonly ICrossPartitionTransfers _crossPartition;

    public PartitionedRouter(IReadOnlyList<PartitionEngine> partitions, PartitionMap map, ICrossPartitionTransfers? crossPartition = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(map);
        if (partitions.Count != map.PartitionCount)
            throw new ArgumentException($"{partitions.Count} partitions but the map has {map.PartitionCount}", nameof(partitions));
        _partitions = [.. partitions];
        _map = map;
        _crossPartition = crossPartition ?? RefuseCrossPartitionTransfers.Instance;
    }

    public ICrossPartitionTransfers CrossPartition => _crossPartition;

    public int PartitionCount => _partitions.Length;

    public int PartitionOf(UInt128 accountId) => _map.PartitionOf(accountId);

    public bool HasRoom(int partition) => (uint)partition < (uint)_partitions.Length && !_partitions[partition].IngressFull;

    public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) =>
        (uint)partition < (uint)_partitions.Length
            ? _partitions[partition].TrySubmit(kind, correlationId, sessionId, payload)
            : throw new ArgumentOutOfRangeException(nameof(partition), partition, $"0..{_partitions.Length - 1}");
}
