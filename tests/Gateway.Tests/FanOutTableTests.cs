using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Tests;

/// <summary>
/// The fan-out of a transfer lookup over partitions: the parts are merged in request order, and a part handed back by
/// consensus (leadership lost after the partition took it) turns the whole answer into NotLeader — never a merged
/// answer that silently lacks that partition's transfers.
/// </summary>
public sealed class FanOutTableTests
{
    private sealed class RecordingSession(long id) : IGatewaySession
    {
        public readonly List<(ushort Kind, long CorrelationId, UInt128[] Transfers)> Results = [];

        public long Id => id;

        public void OnResult(in ResultSlot result)
        {
            UInt128[] ids = [.. MemoryMarshal.Cast<byte, Transfer>(result.PayloadSpan).ToArray().Select(t => t.Id)];
            Results.Add((result.Kind, result.CorrelationId, ids));
        }

        public void Tick(long nowTicks) { }

        public void Close(string reason) { }

        public void Abort() { }
    }

    private static ResultSlot Part(long fanOutSession, ushort kind, params ulong[] transferIds)
    {
        var transfers = transferIds.Select(id => new Transfer { Id = id, Amount = 1 }).ToArray();
        byte[] payload = MemoryMarshal.AsBytes(transfers.AsSpan()).ToArray();
        return new ResultSlot { Kind = kind, CorrelationId = 9, SessionId = fanOutSession, Results = [], Payload = payload, PayloadLength = payload.Length };
    }

    [Fact]
    public void Parts_merge_in_request_order_and_a_part_handed_back_makes_the_whole_read_NotLeader()
    {
        var sessions = new SessionRegistry();
        var session = new RecordingSession(sessions.NextId());
        sessions.Add(session);
        var table = new FanOutTable(sessions);

        long merged = table.Open(session.Id, 9, new UInt128[] { 3, 1, 2 }, parts: 2);
        ResultSlot a = Part(merged, QueryKind.LookupTransfers, 1, 2);
        ResultSlot b = Part(merged, QueryKind.LookupTransfers, 3);
        table.OnPartial(ref a);
        Assert.Empty(session.Results);
        table.OnPartial(ref b);
        (ushort kind, long correlation, UInt128[] found) = Assert.Single(session.Results);
        Assert.Equal((QueryKind.LookupTransfers, 9L), (kind, correlation));
        Assert.Equal(new UInt128[] { 3, 1, 2 }, found);

        session.Results.Clear();
        long lost = table.Open(session.Id, 9, new UInt128[] { 1, 3 }, parts: 2);
        ResultSlot answered = Part(lost, QueryKind.LookupTransfers, 1);
        ResultSlot handedBack = Part(lost, QueryKind.NotLeader);
        table.OnPartial(ref handedBack);
        table.OnPartial(ref answered);
        (kind, correlation, found) = Assert.Single(session.Results);
        Assert.Equal((QueryKind.NotLeader, 9L), (kind, correlation));
        Assert.Empty(found);
    }
}
