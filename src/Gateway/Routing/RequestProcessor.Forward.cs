using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Forwarding between nodes (docs/gateway.md): on a cluster whose partitions are led by different nodes no node can
/// serve every request, and a Redirect would move a client only until its next request for another partition. A
/// request (or the part of a split request) for a partition led by another node is then sent there by this gateway —
/// over a session of the peer role — and its answer relayed, so a client connected to any node is served whole. When
/// one node leads everything, requests led there are still redirected (the client moves once and stays). Forwarded:
/// CreateTransfers, CreateAccounts, CloseAccounts, LookupAccounts; a peer's own requests are never forwarded again.
/// </summary>
internal sealed partial class RequestProcessor
{
    /// <summary>
    /// A request none of whose items this node leads, all led by <paramref name="node"/>: one forwarded request, answered
    /// through the split table as a request of one part (so every answer path — results, found accounts, not taken,
    /// unknown outcome — is the split request's).
    /// </summary>
    private void ForwardWhole(Session session, ushort templateId, ulong correlationId, ushort kind, int partition, ReadOnlySpan<byte> payload, in LeaderInfo node)
    {
        int itemBytes = ForwardPolicy.ItemBytes(kind);
        int items = payload.Length / itemBytes;
        if (!session.TryAcquireInFlight())
        {
            session.SendReject(correlationId, RejectReason.TooManyInFlight, templateId, "maxInFlight requests already awaiting results"u8);
            return;
        }
        SplitTable table = context.Splits;
        SplitEntry? entry = table.TryOpen(session.Id, (long)correlationId, kind, items, parts: 1, crossItems: 0);
        if (entry is null)
        {
            session.ReleaseInFlight();
            session.SendBusy(correlationId);
            return;
        }
        GatewayMetrics.Requests.Add(1, GatewayMetrics.Sbe);
        if (kind == QueryKind.LookupAccounts) entry.SetIds(MemoryMarshal.Cast<byte, UInt128>(payload));
        Span<int> indexes = session.SplitBuffers.Indexes.AsSpan(0, items);
        for (int i = 0; i < items; i++) indexes[i] = i;
        entry.AddPart(0, indexes);
        if (!context.Router!.Forwarder!.TryForward(in node, kind, payload, items, new SplitForwardCompletion(table, entry, entry.Key, 0, partition)))
        {
            table.Abandon(entry);
            session.ReleaseInFlight();
            session.SendBusy(correlationId);
            return;
        }
        GatewayMetrics.ForwardedRequests.Add(1);
        table.Seal(entry);
    }
}
