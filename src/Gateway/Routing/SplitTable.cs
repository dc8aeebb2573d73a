using System.Diagnostics;
using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Requests whose items live on several partitions (a coalesced batch of single transfers from the SDK, an admin's
/// CreateAccounts over many ids, a LookupAccounts of accounts on two partitions): the gateway splits them into one
/// command per partition (RequestProcessor.Split.cs) plus one saga per cross-partition transfer, and the answers
/// meet here. The client gets one answer, in its request's item order, as if one partition had answered: one
/// <see cref="CreateResult"/> per item (CreateResults) or the found accounts in request order (AccountsFound), log index
/// 0 (no single partition's log decides the request), the newest partition timestamp.
/// <para>
/// Part answers carry a synthetic session id (<see cref="SessionFlag"/> | entry id) and the part's number as their
/// correlation id, so the result dispatcher can route them here. Bounded: at most <see cref="MaxEntries"/> split
/// requests at once (beyond: Busy); entries and their arrays are pooled (a multi-partition node sees this on every
/// coalesced batch, so it is a hot path); an entry lives until its last part answered, even if its session has gone.
/// </para>
/// </summary>
internal sealed class SplitTable(SessionRegistry sessions)
{
    /// <summary>Below <see cref="FanOutTable.SessionFlag"/> and the HTTP channel's id; SBE session ids count up from 1.</summary>
    public const long SessionFlag = 1L << 61;
    public const int MaxEntries = 4096;
    /// <summary>Pooled entries kept for reuse; more in flight at once are allocated and dropped afterwards.</summary>
    public const int MaxPooled = 256;

    private readonly Dictionary<long, SplitEntry> _entries = [];
    private readonly Stack<SplitEntry> _pool = new();
    private long _lastId;
    private long _completed;

    public static bool IsSplit(long sessionId) => sessionId >= SessionFlag && sessionId < FanOutTable.SessionFlag;

    /// <summary>Split requests answered so far (monitoring and tests).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Split requests waiting for part answers now.</summary>
    public int Open
    {
        get { lock (_entries) return _entries.Count; }
    }

    /// <summary>
    /// Opens an entry for a request of <paramref name="items"/> items split into <paramref name="parts"/> partition
    /// commands and <paramref name="crossItems"/> cross-partition transfers; null when <see cref="MaxEntries"/> are open.
    /// The entry starts with one extra hold, the submitter's: it completes only after <see cref="Seal"/>.
    /// </summary>
    public SplitEntry? TryOpen(long sessionId, long correlationId, ushort kind, int items, int parts, int crossItems)
    {
        lock (_entries)
        {
            if (_entries.Count >= MaxEntries) return null;
            SplitEntry e = _pool.Count > 0 ? _pool.Pop() : new SplitEntry();
            long id = ++_lastId;
            e.Reset(SessionFlag | id, sessionId, correlationId, kind, items, parts);
            e.Whole = parts == 1 && crossItems == 0;
            e.Outstanding = parts + crossItems + 1;
            _entries.Add(id, e);
            return e;
        }
    }

    /// <summary>Nothing of the request was taken (its first part was refused): the entry goes back unanswered.</summary>
    public void Abandon(SplitEntry entry)
    {
        lock (_entries)
        {
            _entries.Remove(entry.Key & ~SessionFlag);
            Recycle(entry);
        }
    }

    /// <summary>The submitter is done offering parts: its hold is released (the answer may go out now).</summary>
    public void Seal(SplitEntry entry) => Release(entry, parts: 1);

    /// <summary>Items the gateway could not hand to their partition (or the coordinator) after others were taken.</summary>
    public void NotTaken(SplitEntry entry, ReadOnlySpan<int> originalIndexes, ResultCode code)
    {
        lock (_entries)
        {
            foreach (int i in originalIndexes) entry.Results[i] = new CreateResult(i, code);
            // The submitter still holds the entry (released by Seal), so this never answers.
            entry.Outstanding--;
            Debug.Assert(entry.Outstanding > 0);
        }
    }

    /// <summary>One partition's answer to its part (that partition's egress thread).</summary>
    public void OnPartial(ref ResultSlot result)
    {
        SplitEntry? done;
        lock (_entries)
        {
            if (!_entries.TryGetValue(result.SessionId & ~SessionFlag, out SplitEntry? e)) return;
            int part = (int)result.CorrelationId;
            if ((uint)part >= (uint)e.Parts) return; // not an answer we asked for: ignore rather than corrupt the entry
            if (result.Kind == QueryKind.NotLeader)
            {
                e.LostLeader = true;
                e.LostLeaderPartition = result.Partition;
            }
            else if (result.Kind == QueryKind.LookupAccounts)
            {
                e.SetFound(part, MemoryMarshal.Cast<byte, Account>(result.PayloadSpan));
            }
            else
            {
                ReadOnlySpan<int> order = e.PartItems(part);
                ReadOnlySpan<CreateResult> results = result.ResultSpan;
                // One result per item, in the part's order. A whole-command refusal (one result at index 0 for a part of
                // several items) applies to every item of the part: never report Ok for an item the partition did not.
                bool perItem = results.Length == order.Length;
                for (int j = 0; j < order.Length; j++)
                {
                    ResultCode code = perItem ? results[j].Code : results.Length > 0 ? results[0].Code : ResultCode.MalformedPayload;
                    e.Results[order[j]] = new CreateResult(order[j], code);
                }
            }
            e.Stamp(result.Index, result.Timestamp);
            done = Decrement(e, 1);
        }
        if (done is not null) Answer(done);
    }

    /// <summary>A cross-partition transfer of the request ended (the coordinator's thread).</summary>
    public void OnCrossOutcome(SplitEntry entry, long key, int originalIndex, ResultCode code, long timestampNs) =>
        OnCross(entry, key, originalIndex, batchItem: -1, code, timestampNs);

    /// <summary>Transfer <paramref name="batchItem"/> of the request's cross-partition batch ended (the coordinator's thread).</summary>
    public void OnCrossBatchOutcome(SplitEntry entry, long key, int batchItem, ResultCode code, long timestampNs) =>
        OnCross(entry, key, -1, batchItem, code, timestampNs);

    private void OnCross(SplitEntry entry, long key, int originalIndex, int batchItem, ResultCode code, long timestampNs)
    {
        SplitEntry? done;
        lock (_entries)
        {
            if (entry.Key != key) return; // recycled meanwhile: a duplicate outcome
            if (batchItem >= 0) originalIndex = entry.CrossItem(batchItem);
            entry.Results[originalIndex] = new CreateResult(originalIndex, code);
            if (timestampNs > entry.Timestamp) entry.Timestamp = timestampNs;
            done = Decrement(entry, 1);
        }
        if (done is not null) Answer(done);
    }

    /// <summary>The coordinator lost its leadership with a cross-partition transfer of the request taken: outcome unknown.</summary>
    public void OnCrossNotLeader(SplitEntry entry, long key)
    {
        SplitEntry? done;
        lock (_entries)
        {
            if (entry.Key != key) return;
            entry.LostLeader = true;
            entry.LostLeaderPartition = 0;
            done = Decrement(entry, 1);
        }
        if (done is not null) Answer(done);
    }

    /// <summary>Another node answered the items of part <paramref name="part"/> forwarded to it (any thread).</summary>
    public void OnForwardResults(SplitEntry entry, long key, int part, ReadOnlySpan<ResultCode> codes, long logIndex, long timestampNs)
    {
        SplitEntry? done;
        lock (_entries)
        {
            if (entry.Key != key) return;
            ReadOnlySpan<int> order = entry.PartItems(part);
            for (int j = 0; j < order.Length; j++)
            {
                // One code per forwarded item; a short answer never reads as Ok for an item it did not mention.
                entry.Results[order[j]] = new CreateResult(order[j], j < codes.Length ? codes[j] : ResultCode.MalformedPayload);
            }
            entry.Stamp(logIndex, timestampNs);
            done = Decrement(entry, 1);
        }
        if (done is not null) Answer(done);
    }

    /// <summary>Another node answered a forwarded LookupAccounts part: the accounts it found, in the part's order.</summary>
    public void OnForwardFound(SplitEntry entry, long key, int part, ReadOnlySpan<Account> found, long logIndex)
    {
        SplitEntry? done;
        lock (_entries)
        {
            if (entry.Key != key) return;
            entry.SetFound(part, found);
            entry.Stamp(logIndex, 0);
            done = Decrement(entry, 1);
        }
        if (done is not null) Answer(done);
    }

    /// <summary>A forwarded part was certainly not taken by the other node: its items answer <paramref name="code"/>.</summary>
    public void OnForwardNotTaken(SplitEntry entry, long key, int part, ResultCode code)
    {
        SplitEntry? done;
        lock (_entries)
        {
            if (entry.Key != key) return;
            foreach (int i in entry.PartItems(part)) entry.Results[i] = new CreateResult(i, code);
            done = Decrement(entry, 1);
        }
        if (done is not null) Answer(done);
    }

    /// <summary>
    /// A forwarded part's outcome is unknown (sent, never answered): the whole request is handed back as after a leader
    /// change, and the client resubmits it with the same ids (idempotency settles what did apply).
    /// </summary>
    public void OnForwardUnknown(SplitEntry entry, long key, int partition)
    {
        SplitEntry? done;
        lock (_entries)
        {
            if (entry.Key != key) return;
            entry.LostLeader = true;
            entry.LostLeaderPartition = partition;
            done = Decrement(entry, 1);
        }
        if (done is not null) Answer(done);
    }

    private void Release(SplitEntry entry, int parts)
    {
        SplitEntry? done;
        lock (_entries) done = Decrement(entry, parts);
        if (done is not null) Answer(done);
    }

    private SplitEntry? Decrement(SplitEntry e, int by)
    {
        e.Outstanding -= by;
        if (e.Outstanding > 0) return null;
        _entries.Remove(e.Key & ~SessionFlag);
        return e;
    }

    /// <summary>All parts answered: one answer to the session, then the entry goes back to the pool.</summary>
    private void Answer(SplitEntry e)
    {
        try
        {
            if (!sessions.TryGet(e.SessionId, out IGatewaySession session)) return;
            if (e.LostLeader)
            {
                // Never a partial answer: like any request handed back by consensus (Redirect, or the session ends), and the
                // client resubmits the whole request with the same ids (idempotency settles the parts that did apply).
                var handedBack = new ResultSlot
                {
                    Kind = QueryKind.NotLeader, Partition = e.LostLeaderPartition, CorrelationId = e.CorrelationId, SessionId = e.SessionId,
                    Results = [], Payload = [],
                };
                session.OnResult(in handedBack);
                return;
            }
            ResultSlot answer = e.Kind == QueryKind.LookupAccounts ? e.MergedAccounts() : new ResultSlot
            {
                Kind = e.Kind,
                CorrelationId = e.CorrelationId,
                SessionId = e.SessionId,
                // No single partition's log index decides a request spread over several partitions; a request of one part
                // (forwarded whole to another node) carries that node's log index.
                Index = e.Whole ? e.Index : 0,
                Timestamp = e.Timestamp,
                ResultCount = e.Items,
                Results = e.Results,
                Payload = [],
            };
            // The session encodes the answer into its outbound buffer before returning: the entry's arrays are free after.
            session.OnResult(in answer);
        }
        finally
        {
            Interlocked.Increment(ref _completed);
            lock (_entries) Recycle(e);
        }
    }

    private void Recycle(SplitEntry e)
    {
        e.Key = 0; // a late duplicate outcome for the old request can no longer match
        if (_pool.Count < MaxPooled && e.Results.Length <= SplitEntry.MaxPooledItems) _pool.Push(e);
    }
}
