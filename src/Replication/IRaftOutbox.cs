namespace Wallet.Replication;

/// <summary>Where a <see cref="RaftNode"/> puts outgoing messages (the transport seam: TCP in production, the simulated network in tests).</summary>
public interface IRaftOutbox
{
    /// <summary>
    /// Queues one SBE-encoded consensus message for <paramref name="toNode"/>. Must not block and must copy
    /// <paramref name="message"/> (the node reuses the buffer). Delivery is best effort: the protocol tolerates
    /// loss, duplication, reordering and delay.
    /// </summary>
    void Send(int toNode, ReadOnlySpan<byte> message);
}
