using Wallet.Replication;

namespace Wallet.Perf.Scenarios.RaftCore;

/// <summary>
/// In-process "network" for the raft-core scenario: two preallocated arenas, one filled by sends while the other is
/// delivered, so moving messages costs one copy and no allocation (like a transport's send queue).
/// </summary>
internal sealed class ArenaWire
{
    private byte[] _fill;
    private byte[] _deliver;
    private (int From, int To, int Offset, int Length)[] _fillIndex;
    private (int From, int To, int Offset, int Length)[] _deliverIndex;
    private int _fillBytes;

    public ArenaWire(int arenaBytes, int maxMessages)
    {
        _fill = new byte[arenaBytes];
        _deliver = new byte[arenaBytes];
        _fillIndex = new (int, int, int, int)[maxMessages];
        _deliverIndex = new (int, int, int, int)[maxMessages];
    }

    public int Pending { get; private set; }

    public int DeliverCount { get; private set; }

    public void Add(int from, int to, ReadOnlySpan<byte> message)
    {
        if (_fillBytes + message.Length > _fill.Length || Pending == _fillIndex.Length)
        {
            throw new InvalidOperationException("arena full: raise the arena size or lower --entries-per-round");
        }

        message.CopyTo(_fill.AsSpan(_fillBytes));
        _fillIndex[Pending++] = (from, to, _fillBytes, message.Length);
        _fillBytes += message.Length;
    }

    /// <summary>Makes everything sent so far deliverable, and starts an empty fill arena.</summary>
    public void Swap()
    {
        (_fill, _deliver) = (_deliver, _fill);
        (_fillIndex, _deliverIndex) = (_deliverIndex, _fillIndex);
        DeliverCount = Pending;
        Pending = 0;
        _fillBytes = 0;
    }

    public ReadOnlySpan<byte> Get(int i, out int from, out int to)
    {
        (from, to, int offset, int length) = _deliverIndex[i];
        return _deliver.AsSpan(offset, length);
    }

    /// <summary>The outbox of one node.</summary>
    public sealed class Outbox(ArenaWire wire, int from) : IRaftOutbox
    {
        public void Send(int toNode, ReadOnlySpan<byte> message) => wire.Add(from, toNode, message);
    }
}
