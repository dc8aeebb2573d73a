namespace Wallet.Replication.Cluster;

/// <summary>
/// Leader bookkeeping: which client session waits for the entry at each index it proposed and has not yet seen
/// committed. A power-of-two ring indexed by log index, preallocated (no allocation per command). An entry is claimed
/// only if index and term both match: an entry another leader wrote at that index belongs to no local client.
/// </summary>
internal sealed class PendingProposals(int capacity)
{
    private readonly long[] _index = new long[capacity];
    private readonly long[] _term = new long[capacity];
    private readonly long[] _session = new long[capacity];
    private readonly long[] _correlation = new long[capacity];
    private readonly int _mask = capacity - 1;
    private long _oldest = long.MaxValue;
    private long _newest;
    private int _count;

    public bool HasRoom => _count < _index.Length;

    public void Add(long index, long term, long sessionId, long correlationId)
    {
        int slot = (int)(index & _mask);
        if (_index[slot] != 0) throw new InvalidOperationException($"pending proposal {_index[slot]} still waits where {index} goes");
        _index[slot] = index;
        _term[slot] = term;
        _session[slot] = sessionId;
        _correlation[slot] = correlationId;
        _count++;
        if (index < _oldest) _oldest = index;
        if (index > _newest) _newest = index;
    }

    /// <summary>The waiting client of the committed entry (<paramref name="index"/>, <paramref name="term"/>), or -1.</summary>
    public void TakeClient(long index, long term, out long sessionId, out long correlationId)
    {
        int slot = (int)(index & _mask);
        if (_index[slot] == index)
        {
            bool ours = _term[slot] == term;
            sessionId = ours ? _session[slot] : -1;
            correlationId = ours ? _correlation[slot] : 0;
            _index[slot] = 0;
            _count--;
            if (index >= _oldest) _oldest = index + 1;
            return;
        }
        sessionId = -1;
        correlationId = 0;
    }

    public void Restore(long index, long term, long sessionId, long correlationId)
    {
        if (sessionId > 0) Add(index, term, sessionId, correlationId);
    }

    /// <summary>Tells every waiting client NotLeader and forgets them.</summary>
    public void RefuseAll(ConsensusAgent agent)
    {
        if (_count == 0) return;
        for (long index = Math.Min(_oldest, _newest); index <= _newest && _count > 0; index++)
        {
            int slot = (int)(index & _mask);
            if (_index[slot] != index) continue;
            agent.Refuse(_session[slot], _correlation[slot]);
            _index[slot] = 0;
            _count--;
        }
        _count = 0;
        Array.Clear(_index);
        _oldest = long.MaxValue;
        _newest = 0;
    }
}
