using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;

namespace Wallet.Gateway.Routing;

/// <summary>
/// When a request led by another node is forwarded there rather than redirected (docs/gateway.md, "Forwarding between
/// nodes"): the router has a forwarder, the sender is not itself a peer gateway (a forwarded request is never forwarded
/// again), the request is of a forwarded kind, its leader is known — and leaderships are spread. When one node leads
/// every partition and the coordinator, a client sent there stays there (everything is local to it): Redirect.
/// Shared by the SBE and FIX paths.
/// </summary>
internal static class ForwardPolicy
{
    /// <summary>
    /// Where to forward a whole request that <paramref name="leader"/> leads, or null: answer as without forwarding.
    /// <paramref name="clientCanMove"/>: the protocol has a Redirect (SBE) — then a node leading everything is where the
    /// client should go instead; FIX has none, and an HTTP client behind a load balancer should not need one, so their
    /// requests led elsewhere are always forwarded. <paramref name="principal"/> null: the HTTP API (never a peer).
    /// </summary>
    public static LeaderInfo? TargetFor(IRequestRouter router, UserPrincipal? principal, ushort kind, in LeaderInfo leader, bool clientCanMove = true)
    {
        if (router.Forwarder is null || principal is { IsPeer: true } || !IsForwardable(kind) || !leader.IsKnownRemote) return null;
        return clientCanMove && OneNodeLeadsAll(router, leader) ? null : leader;
    }

    /// <summary>
    /// A fanned-out transfer lookup whose partition <paramref name="partition"/> is led by another node: its part is asked
    /// of that node (PeerLookupTransfers) and answered into the fan-out. False: not forwarded (answer as without).
    /// </summary>
    public static bool TryForwardLookup(FanOutTable fanOuts, IRequestRouter router, UserPrincipal principal, int partition, long fanOutSessionId,
        ReadOnlySpan<byte> ids, bool clientCanMove)
    {
        if (LookupTarget(router, principal, partition, clientCanMove) is not LeaderInfo leader) return false;
        if (!router.Forwarder!.TryForwardTransferLookup(in leader, partition, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, UInt128>(ids),
                new FanOutForwardCompletion(fanOuts, fanOutSessionId, partition))) return false;
        GatewayMetrics.ForwardedRequests.Add(1);
        return true;
    }

    /// <summary>Where to ask partition <paramref name="partition"/>'s part of a transfer lookup, or null: not forwarded.</summary>
    public static LeaderInfo? LookupTarget(IRequestRouter router, UserPrincipal? principal, int partition, bool clientCanMove)
    {
        LeaderInfo leader = router.LeaderOf(partition);
        if (router.Forwarder is null || principal is { IsPeer: true } || !leader.IsKnownRemote || (clientCanMove && OneNodeLeadsAll(router, leader))) return null;
        return leader;
    }

    /// <summary>The requests a peer gateway may send: CreateTransfers, CreateAccounts, CloseAccounts, LookupAccounts.</summary>
    public static bool IsForwardable(ushort kind) =>
        kind is (ushort)CommandKind.CreateTransfers or (ushort)CommandKind.CreateAccounts or (ushort)CommandKind.CloseAccounts or QueryKind.LookupAccounts;

    /// <summary>Bytes per item in a partition command of <paramref name="kind"/>: 128-byte structs, or 16-byte ids.</summary>
    public static int ItemBytes(ushort kind) => kind is (ushort)CommandKind.CloseAccounts or QueryKind.LookupAccounts ? 16 : 128;

    public static bool SameNode(in LeaderInfo a, in LeaderInfo b) =>
        a.IsLocal ? b.IsLocal : !b.IsLocal && string.Equals(a.Host, b.Host, StringComparison.Ordinal) && a.Port == b.Port;

    /// <summary>
    /// Whether <paramref name="node"/> leads every partition of this node's router and its coordinator. O(partitions),
    /// on forwarding decisions only.
    /// </summary>
    public static bool OneNodeLeadsAll(IRequestRouter router, in LeaderInfo node)
    {
        for (int p = 0; p < router.PartitionCount; p++)
        {
            if (!SameNode(router.LeaderOf(p), node)) return false;
        }
        ICrossPartitionTransfers cross = router.CrossPartition;
        return !cross.Enabled || SameNode(cross.Leader, node);
    }
}
