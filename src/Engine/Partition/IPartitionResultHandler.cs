namespace Wallet.Engine.Partition;

/// <summary>
/// Receives every result the BLP pushes to the egress ring, on the partition's egress thread, in log order.
/// The gateway routes each to the session that owns <see cref="ResultSlot.SessionId"/>. The slot is only valid
/// during the call: copy what you keep. Must not block for long: the BLP stalls when the egress ring is full.
/// </summary>
public interface IPartitionResultHandler
{
    void OnResult(ref ResultSlot result, bool endOfBatch);

    /// <summary>
    /// Ends a batch whose last result was passed with <c>endOfBatch: false</c> (<see cref="ResultBurst"/>): whatever the
    /// handler holds back until the end of a batch (the gateway's per-session flush) goes now. Default: nothing held.
    /// </summary>
    void EndOfBatch() { }
}
