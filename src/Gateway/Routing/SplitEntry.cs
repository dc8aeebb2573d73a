using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Gateway.Routing;

/// <summary>
/// One split request in <see cref="SplitTable"/>: which original item each part carried, the merged per-item results,
/// and (for LookupAccounts) each part's found accounts. Guarded by the table's lock; arrays grow and are reused.
/// </summary>
internal sealed class SplitEntry
{
    /// <summary>Entries whose arrays grew past this many items are not pooled (an oversized request should not pin memory).</summary>
    public const int MaxPooledItems = 8192;

    public long Key;
    public long SessionId;
    public long CorrelationId;
    public ushort Kind;
    public int Items;
    public int Parts;
    public int Outstanding;
    public bool LostLeader;
    public int LostLeaderPartition;
    public long Index;
    public long Timestamp;
    /// <summary>One part and no cross-partition items (a request forwarded whole): its answer carries that part's log index.</summary>
    public bool Whole;
    public CreateResult[] Results = [];

    /// <summary>Original item indexes, part after part (<see cref="_partStart"/>[p] .. [p+1]).</summary>
    private int[] _order = [];
    private int[] _partStart = new int[2];
    private int _orderCount;
    private int[] _crossItems = [];
    private Account[]?[] _found = [];
    private UInt128[] _ids = [];

    public void Reset(long key, long sessionId, long correlationId, ushort kind, int items, int parts)
    {
        Key = key;
        SessionId = sessionId;
        CorrelationId = correlationId;
        Kind = kind;
        Items = items;
        Parts = parts;
        LostLeader = false;
        LostLeaderPartition = 0;
        Index = 0;
        Timestamp = 0;
        if (Results.Length < items) Results = new CreateResult[items];
        if (_order.Length < items) _order = new int[items];
        if (_partStart.Length < parts + 1) _partStart = new int[parts + 1];
        _orderCount = 0;
        _partStart[0] = 0;
        for (int i = 0; i < items; i++) Results[i] = new CreateResult(i, ResultCode.MalformedPayload);
        if (kind == QueryKind.LookupAccounts)
        {
            if (_found.Length < parts) _found = new Account[]?[parts];
            Array.Clear(_found, 0, parts);
            if (_ids.Length < items) _ids = new UInt128[items];
        }
    }

    /// <summary>A part's answer header: the entry keeps the highest log index and the latest ledger timestamp seen.</summary>
    public void Stamp(long logIndex, long timestampNs)
    {
        if (logIndex > Index) Index = logIndex;
        if (timestampNs > Timestamp) Timestamp = timestampNs;
    }

    /// <summary>Submitter: the next part carries these original items, in this order.</summary>
    public void AddPart(int part, ReadOnlySpan<int> originalIndexes)
    {
        originalIndexes.CopyTo(_order.AsSpan(_orderCount));
        _orderCount += originalIndexes.Length;
        _partStart[part + 1] = _orderCount;
    }

    /// <summary>Submitter: the original indexes of the cross-partition transfers offered as one batch, in batch order.</summary>
    public void SetCrossItems(ReadOnlySpan<int> originalIndexes)
    {
        if (_crossItems.Length < originalIndexes.Length) _crossItems = new int[Math.Max(originalIndexes.Length, 16)];
        originalIndexes.CopyTo(_crossItems);
    }

    /// <summary>The original index of batch position <paramref name="item"/>.</summary>
    public int CrossItem(int item) => _crossItems[item];

    public ReadOnlySpan<int> PartItems(int part) => _order.AsSpan(_partStart[part], _partStart[part + 1] - _partStart[part]);

    /// <summary>LookupAccounts: the ids asked, in request order (to merge the parts' answers back into it).</summary>
    public void SetIds(ReadOnlySpan<UInt128> ids) => ids.CopyTo(_ids);

    /// <summary>A lookup part's found accounts (copied: the slot's buffer is reused). Not a hot path.</summary>
    public void SetFound(int part, ReadOnlySpan<Account> found) => _found[part] = found.ToArray();

    /// <summary>
    /// The parts' found accounts in request order. Each partition answers the ids it was given in their order (missing
    /// ones absent), so walking the request with one cursor per part puts every found account back in its place.
    /// </summary>
    public ResultSlot MergedAccounts()
    {
        var partOf = new int[Items];
        for (int p = 0; p < Parts; p++)
        {
            foreach (int i in PartItems(p)) partOf[i] = p;
        }
        int total = 0;
        for (int p = 0; p < Parts; p++) total += _found[p]?.Length ?? 0;
        var merged = new byte[total * Account.SizeBytes];
        Span<Account> output = MemoryMarshal.Cast<byte, Account>(merged.AsSpan());
        var cursor = new int[Parts];
        int n = 0;
        for (int i = 0; i < Items; i++)
        {
            int p = partOf[i];
            Account[]? found = _found[p];
            if (found is null || cursor[p] >= found.Length || found[cursor[p]].Id != _ids[i]) continue;
            output[n++] = found[cursor[p]++];
        }
        return new ResultSlot
        {
            Kind = QueryKind.LookupAccounts,
            CorrelationId = CorrelationId,
            SessionId = SessionId,
            Index = Index,
            Timestamp = Timestamp,
            Results = [],
            Payload = merged,
            PayloadLength = n * Account.SizeBytes,
        };
    }
}
