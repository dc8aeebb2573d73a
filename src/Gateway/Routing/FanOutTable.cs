using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Reads that no single partition can answer — LookupTransfers, since a transfer id does not name a partition — go to
/// every partition; the partial answers meet here and the client gets one answer, in its request's order. Partial
/// answers carry a synthetic session id (<see cref="SessionFlag"/> | entry id) so the result dispatcher can tell them
/// from a session's. Bounded: at most <see cref="MaxEntries"/> fan-outs at once; each entry lives until its last
/// partial answer, even if its session has gone. Not a hot path (it allocates per request).
/// </summary>
internal sealed class FanOutTable(SessionRegistry sessions)
{
    public const long SessionFlag = 1L << 62;
    public const int MaxEntries = 4096;

    private readonly Dictionary<long, Entry> _entries = [];
    private long _lastId;

    private sealed class Entry(long sessionId, long correlationId, UInt128[] ids, int expected)
    {
        public readonly long SessionId = sessionId;
        public readonly long CorrelationId = correlationId;
        public readonly UInt128[] Ids = ids;
        public int Expected = expected;
        public int Received;
        public bool Cancelled;
        /// <summary>A partition handed its part back (leadership lost after taking it): the merged answer would be incomplete.</summary>
        public bool LostLeader;
        public long Index;
        public long Timestamp;
        public readonly List<Transfer> Found = [];
    }

    public static bool IsFanOut(long sessionId) => sessionId >= SessionFlag;

    /// <summary>Opens a fan-out of <paramref name="parts"/> partial reads; its synthetic session id, or -1 when full.</summary>
    public long Open(long sessionId, long correlationId, ReadOnlySpan<UInt128> ids, int parts)
    {
        lock (_entries)
        {
            if (_entries.Count >= MaxEntries) return -1;
            long id = ++_lastId;
            _entries.Add(id, new Entry(sessionId, correlationId, ids.ToArray(), parts));
            return SessionFlag | id;
        }
    }

    /// <summary>
    /// Only <paramref name="submitted"/> of the parts went out (a partition was busy): the client was already told;
    /// the answers of the parts that did go out are awaited and dropped.
    /// </summary>
    public void Cancel(long fanOutSessionId, int submitted)
    {
        lock (_entries)
        {
            if (!_entries.TryGetValue(fanOutSessionId & ~SessionFlag, out Entry? e)) return;
            e.Cancelled = true;
            e.Expected = submitted;
            if (e.Received >= e.Expected) _entries.Remove(fanOutSessionId & ~SessionFlag);
        }
    }

    /// <summary>One partition's answer (egress thread of that partition).</summary>
    public void OnPartial(ref ResultSlot result)
    {
        Entry? done = null;
        lock (_entries)
        {
            long key = result.SessionId & ~SessionFlag;
            if (!_entries.TryGetValue(key, out Entry? e)) return;
            if (result.Kind == QueryKind.NotLeader)
            {
                e.LostLeader = true;
            }
            else
            {
                foreach (Transfer t in MemoryMarshal.Cast<byte, Transfer>(result.PayloadSpan)) e.Found.Add(t);
            }
            // The answer reflects every partition's state at its own index; report the highest (monitoring only).
            if (result.Index > e.Index) e.Index = result.Index;
            if (result.Timestamp > e.Timestamp) e.Timestamp = result.Timestamp;
            e.Received++;
            if (e.Received < e.Expected) return;
            _entries.Remove(key);
            if (!e.Cancelled) done = e;
        }
        if (done is null || !sessions.TryGet(done.SessionId, out IGatewaySession session)) return;
        if (done.LostLeader)
        {
            // Never a partial answer: the session treats this like any request handed back by consensus (Redirect or end).
            var handedBack = new ResultSlot
            {
                Kind = QueryKind.NotLeader, CorrelationId = done.CorrelationId, SessionId = done.SessionId, Results = [], Payload = [],
            };
            session.OnResult(in handedBack);
            return;
        }

        // Request order, as a single partition would answer.
        var order = new Dictionary<UInt128, Transfer>(done.Found.Count);
        foreach (Transfer t in done.Found) order.TryAdd(t.Id, t);
        var merged = new byte[done.Found.Count * Transfer.SizeBytes];
        Span<Transfer> output = MemoryMarshal.Cast<byte, Transfer>(merged.AsSpan());
        int n = 0;
        foreach (UInt128 id in done.Ids)
        {
            if (order.Remove(id, out Transfer t)) output[n++] = t;
        }
        var answer = new ResultSlot
        {
            Kind = QueryKind.LookupTransfers,
            CorrelationId = done.CorrelationId,
            SessionId = done.SessionId,
            Index = done.Index,
            Timestamp = done.Timestamp,
            Results = [],
            Payload = merged,
            PayloadLength = n * Transfer.SizeBytes,
        };
        session.OnResult(in answer);
    }
}
