using Wallet.Engine.Partition;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Where a request goes. Today one partition; with N partitions an account's partition is a pure function of its
/// id (DESIGN §6), so the gateway asks <see cref="PartitionOf"/> for every item and submits to that partition.
/// </summary>
public interface IRequestRouter
{
    int PartitionCount { get; }

    /// <summary>The partition owning <paramref name="accountId"/> (for transfers: the debit account).</summary>
    int PartitionOf(UInt128 accountId);

    /// <summary>Non-blocking offer to one partition's ingress ring (see <see cref="PartitionEngine.TrySubmit"/>).</summary>
    SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload);

    /// <summary>
    /// False when <paramref name="partition"/>'s ingress is known to be full now (a hint, see
    /// <see cref="PartitionEngine.IngressFull"/>): a request split over partitions is refused whole (Busy) when one of
    /// them has no room, rather than taken in part. Routers that cannot tell answer true.
    /// </summary>
    bool HasRoom(int partition) => true;

    /// <summary>Who leads <paramref name="partition"/>. Single-node routers always lead; a replicated one asks consensus.</summary>
    LeaderInfo LeaderOf(int partition) => LeaderInfo.Local;

    /// <summary>
    /// Where a transfer whose two accounts live on different partitions goes (the saga coordinator's seam); by default
    /// nowhere: such transfers are refused whole.
    /// </summary>
    ICrossPartitionTransfers CrossPartition => RefuseCrossPartitionTransfers.Instance;

    /// <summary>
    /// How items led by another node reach it (docs/gateway.md, "Forwarding between nodes"); by default nothing is
    /// forwarded and such requests are redirected (or refused when no single node leads all their items).
    /// </summary>
    IRequestForwarder? Forwarder => null;
}
