using Wallet.Engine.Partition;

namespace Wallet.Replication.Cluster;

/// <summary>
/// Reads a leader holds until every command submitted before them is committed and published (so a client reads its
/// own writes). A bounded FIFO with per-slot payload buffers that grow once and are reused.
/// </summary>
internal sealed class PendingQueries(int capacity)
{
    private readonly long[] _afterIndex = new long[capacity];
    private readonly ushort[] _kind = new ushort[capacity];
    private readonly long[] _session = new long[capacity];
    private readonly long[] _correlation = new long[capacity];
    private readonly byte[][] _payload = new byte[capacity][];
    private readonly int[] _length = new int[capacity];
    private readonly int _mask = capacity - 1;
    private long _head;
    private long _tail;

    public bool HasRoom => _tail - _head < _afterIndex.Length;

    public void Add(long afterIndex, ushort kind, long sessionId, long correlationId, ReadOnlySpan<byte> payload)
    {
        if (!HasRoom) throw new InvalidOperationException("pending query queue is full");
        int slot = (int)(_tail & _mask);
        _afterIndex[slot] = afterIndex;
        _kind[slot] = kind;
        _session[slot] = sessionId;
        _correlation[slot] = correlationId;
        byte[]? buffer = _payload[slot];
        if (buffer is null || buffer.Length < payload.Length) _payload[slot] = buffer = new byte[Math.Max(payload.Length, 256)];
        payload.CopyTo(buffer);
        _length[slot] = payload.Length;
        _tail++;
    }

    public bool TryPeek(out long afterIndex)
    {
        if (_head == _tail)
        {
            afterIndex = 0;
            return false;
        }
        afterIndex = _afterIndex[(int)(_head & _mask)];
        return true;
    }

    public bool TryPublishHead(SequencerPort port)
    {
        int slot = (int)(_head & _mask);
        if (!port.TryPublishQuery(_kind[slot], _session[slot], _correlation[slot], _payload[slot].AsSpan(0, _length[slot]))) return false;
        _head++;
        return true;
    }

    public void RefuseAll(ConsensusAgent agent)
    {
        for (; _head < _tail; _head++)
        {
            int slot = (int)(_head & _mask);
            agent.Refuse(_session[slot], _correlation[slot]);
        }
    }
}
