namespace Wallet.Engine.Partition;

/// <summary>
/// Buffers for large command payloads, shared by a partition's rings. A ring slot carries a small payload in its own
/// buffer (grown up to <see cref="SmallPayloadBytes"/>); a larger one is copied into a buffer borrowed here, which the
/// slot's last consumer hands back. Without it every slot grew its own buffer to the largest command it ever carried:
/// with 8,190-transfer batches each new slot allocated (and zeroed) a fresh 1 MiB large object, and a 4,096-slot ring
/// crept towards 4 GiB. See <see cref="BufferPool{T}"/> for the mechanics.
/// </summary>
public sealed class PayloadPool(int capacity, int bufferBytes) : BufferPool<byte>(capacity, Math.Max(bufferBytes, SmallPayloadBytes + 1))
{
    /// <summary>Payloads up to this size stay in the slot's own buffer.</summary>
    public const int SmallPayloadBytes = 4096;
}
