namespace Wallet.Gateway.Sessions;

/// <summary>
/// A session's bounded outbound queue: a pending buffer producers append encoded frames to (under <see cref="Sync"/>)
/// and a sending buffer the writer loop hands to the socket; the two swap. Memory is fixed at creation:
/// at most <c>limit</c> bytes wait to be sent, plus a small reserve kept for the final Logout.
/// </summary>
internal sealed class OutboundBuffer
{
    private readonly int _limitBytes;
    private byte[] _pending;
    private byte[] _sending;
    private int _pendingLength;

    public OutboundBuffer(int limitBytes, int reserveBytes)
    {
        _limitBytes = limitBytes;
        _pending = GC.AllocateUninitializedArray<byte>(limitBytes + reserveBytes);
        _sending = GC.AllocateUninitializedArray<byte>(limitBytes + reserveBytes);
    }

    /// <summary>Held by every producer while it reserves, encodes and commits.</summary>
    public object Sync { get; } = new();

    public int PendingBytes => _pendingLength;

    /// <summary>
    /// Under <see cref="Sync"/>: the writer loop holds bytes it took and is sending them (outside the lock). While set,
    /// nobody else may write to the socket, or bytes would leave out of order.
    /// </summary>
    public bool WriterBusy { get; set; }

    /// <summary>Under <see cref="Sync"/>: the bytes waiting, for a direct send by their producer.</summary>
    public ReadOnlySpan<byte> Pending => _pending.AsSpan(0, _pendingLength);

    /// <summary>Under <see cref="Sync"/>: the first <paramref name="sentBytes"/> pending bytes left by a direct send.</summary>
    public void ConsumeSent(int sentBytes)
    {
        if (sentBytes <= 0) return;
        if (sentBytes > _pendingLength) throw new InvalidOperationException($"sent {sentBytes} of {_pendingLength} pending bytes");
        // Rare (the socket took only part): keep the rest in order at the front.
        _pending.AsSpan(sentBytes, _pendingLength - sentBytes).CopyTo(_pending);
        _pendingLength -= sentBytes;
    }

    /// <summary>
    /// Under <see cref="Sync"/>: room for <paramref name="sizeBytes"/> more bytes, or an empty span when the
    /// limit would be exceeded. <paramref name="useReserve"/> lets the final control message into the reserve.
    /// </summary>
    public Span<byte> TryReserve(int sizeBytes, bool useReserve)
    {
        int capacity = useReserve ? _pending.Length : _limitBytes;
        if (_pendingLength + sizeBytes > capacity) return Span<byte>.Empty;
        return _pending.AsSpan(_pendingLength, sizeBytes);
    }

    /// <summary>Under <see cref="Sync"/>: makes <paramref name="writtenBytes"/> of the reservation visible to the writer.</summary>
    public void Commit(int writtenBytes) => _pendingLength += writtenBytes;

    /// <summary>Under <see cref="Sync"/>: swaps buffers; the returned memory stays valid until the next call.</summary>
    public ReadOnlyMemory<byte> TakePending()
    {
        (_pending, _sending) = (_sending, _pending);
        int length = _pendingLength;
        _pendingLength = 0;
        return _sending.AsMemory(0, length);
    }
}
