using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Gateway.Routing;

/// <summary>
/// One partition's part of a transfer lookup fanned out over every partition (<see cref="FanOutTable"/>), answered by the
/// node that leads it (forwarded there as PeerLookupTransfers): delivered to the table as that partition's answer. No
/// answer makes the whole read a NotLeader answer (asked again), never an answer silently missing a partition.
/// </summary>
internal sealed class FanOutForwardCompletion(FanOutTable table, long fanOutSessionId, int partition) : ITransferLookupCompletion
{
    private int _completed;

    public void OnFound(ReadOnlySpan<Transfer> found, long logIndex)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        byte[] payload = MemoryMarshal.AsBytes(found).ToArray();
        var slot = new ResultSlot
        {
            Kind = QueryKind.LookupTransfers, Partition = partition, SessionId = fanOutSessionId, Index = logIndex,
            Results = [], Payload = payload, PayloadLength = payload.Length,
        };
        table.OnPartial(ref slot);
    }

    public void OnUnanswered()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0) return;
        var slot = new ResultSlot { Kind = QueryKind.NotLeader, Partition = partition, SessionId = fanOutSessionId, Results = [], Payload = [] };
        table.OnPartial(ref slot);
    }
}
