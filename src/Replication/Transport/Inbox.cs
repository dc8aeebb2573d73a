using System.Buffers.Binary;

namespace Wallet.Replication.Transport;

/// <summary>
/// Messages received from peers waiting for the driver: a double buffer of <c>[from:int32][length:int32][bytes]</c>
/// records. Receivers append under a lock; the driver swaps the buffers and walks the drained one without the lock.
/// Bounded: a receiver blocks (so TCP pushes back on the sender) while <see cref="_maxBytes"/> are waiting.
/// Steady state allocates nothing: the buffers grow to the largest backlog seen and stay.
/// </summary>
internal sealed class Inbox(int maxBytes, Action wake)
{
    private const int RecordHeaderBytes = 8;
    private readonly object _sync = new();
    private readonly int _maxBytes = maxBytes;
    private byte[] _filling = new byte[64 << 10];
    private int _fillLength;
    private byte[] _draining = new byte[64 << 10];
    private bool _closed;

    public int PendingBytes
    {
        get { lock (_sync) return _fillLength; }
    }

    /// <summary>Appends one message; waits while the inbox is full. False when the inbox was closed.</summary>
    public bool Add(int fromNode, ReadOnlySpan<byte> message)
    {
        int need = RecordHeaderBytes + message.Length;
        lock (_sync)
        {
            // Always admit into an empty inbox, so a message up to the frame limit can never wait forever.
            while (!_closed && _fillLength > 0 && _fillLength + need > _maxBytes) Monitor.Wait(_sync, 100);
            if (_closed) return false;
            if (_filling.Length < _fillLength + need)
            {
                Array.Resize(ref _filling, Math.Max(_fillLength + need, _filling.Length * 2));
            }
            Span<byte> dest = _filling.AsSpan(_fillLength, need);
            BinaryPrimitives.WriteInt32LittleEndian(dest, fromNode);
            BinaryPrimitives.WriteInt32LittleEndian(dest[4..], message.Length);
            message.CopyTo(dest[RecordHeaderBytes..]);
            _fillLength += need;
        }
        wake();
        return true;
    }

    /// <summary>Hands every waiting message to <paramref name="handler"/>; returns how many. Driver thread only.</summary>
    public int Drain<THandler>(ref THandler handler)
        where THandler : IInboundHandler
    {
        byte[] batch;
        int length;
        lock (_sync)
        {
            if (_fillLength == 0) return 0;
            batch = _filling;
            length = _fillLength;
            _filling = _draining;
            _fillLength = 0;
            _draining = batch;
            Monitor.PulseAll(_sync);
        }
        int count = 0;
        int offset = 0;
        while (offset < length)
        {
            int from = BinaryPrimitives.ReadInt32LittleEndian(batch.AsSpan(offset));
            int size = BinaryPrimitives.ReadInt32LittleEndian(batch.AsSpan(offset + 4));
            handler.OnMessage(from, batch.AsSpan(offset + RecordHeaderBytes, size));
            offset += RecordHeaderBytes + size;
            count++;
        }
        return count;
    }

    public void Close()
    {
        lock (_sync)
        {
            _closed = true;
            Monitor.PulseAll(_sync);
        }
    }
}
