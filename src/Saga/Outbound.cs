using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// Step transfers waiting to be sent to one partition, and a ring of the step ids already sent, by send position, so that
/// an answer (command correlation = position of its first item, + item index) finds its step. Written by the driver
/// thread, read by the partition's egress thread: each ring cell carries its position, checked after the read, so a
/// cell overwritten by a much later send is detected and the answer dropped (the step is resent).
/// </summary>
internal sealed class Outbound(int ringSize, int pendingCapacity, long epoch)
{
    // Positions carry the coordinator instance's epoch in their top bits: an answer to an earlier instance's command
    // (still in a partition's pipeline across an in-process restart) can never match a cell of this one.
    private const int EpochShift = 48;
    private readonly long _epochBase = epoch << EpochShift;

    private readonly UInt128[] _ids = new UInt128[ringSize];
    private readonly long[] _positions = InitPositions(ringSize);
    private readonly int _mask = ringSize - 1;
    private Transfer[] _pending = new Transfer[Math.Max(pendingCapacity, 64)];
    private long _nextPosition = epoch << EpochShift;

    private long NextPositionBound => _epochBase + (1L << EpochShift);

    public int Count { get; private set; }

    private static long[] InitPositions(int size)
    {
        var positions = new long[size];
        Array.Fill(positions, -1);
        return positions;
    }

    public void Add(in Transfer step)
    {
        // Grows (rarely: after a restart with many open sagas); steady state stays within the initial capacity.
        if (Count == _pending.Length) Array.Resize(ref _pending, _pending.Length * 2);
        _pending[Count++] = step;
    }

    public ReadOnlySpan<Transfer> Pending(int n) => _pending.AsSpan(0, n);

    /// <summary>Records the first <paramref name="n"/> pending ids at the next positions; returns the first position.</summary>
    public long StampNext(int n)
    {
        var first = _nextPosition;
        for (var i = 0; i < n; i++)
        {
            var position = first + i;
            var cell = (int)(position & _mask);
            Volatile.Write(ref _positions[cell], -1);
            _ids[cell] = _pending[i].Id;
            Volatile.Write(ref _positions[cell], position);
        }

        _nextPosition = first + n;
        return first;
    }

    /// <summary>The submission was refused: those positions were never sent.</summary>
    public void Unstamp(int n) => _nextPosition -= n;

    public void Consume(int n)
    {
        Count -= n;
        Array.Copy(_pending, n, _pending, 0, Count);
    }

    /// <summary>Egress thread: the step id sent at <paramref name="position"/>, if its cell still holds it.</summary>
    public bool TryGetSent(long position, out UInt128 stepId)
    {
        if (position < _epochBase || position >= NextPositionBound)
        {
            stepId = default;
            return false;
        }

        var cell = (int)(position & _mask);
        stepId = _ids[cell];
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _positions[cell]) == position;
    }
}
