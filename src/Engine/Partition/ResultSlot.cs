using Wallet.Engine.Ledger;

namespace Wallet.Engine.Partition;

/// <summary>
/// One slot of a partition's egress ring: the outcome of one command or query, pushed to whoever owns
/// <see cref="SessionId"/>. Buffers belong to the slot and are reused (grown once, never shrunk).
/// </summary>
public struct ResultSlot
{
    public ushort Kind;
    public long CorrelationId;
    public long SessionId;
    public long Index;
    public long Timestamp;
    /// <summary>Per-item results of a command (one per item of the batch).</summary>
    public int ResultCount;
    public CreateResult[] Results;
    /// <summary>Query answers: the found <see cref="Account"/> or <see cref="Transfer"/> structs, back to back.</summary>
    public int PayloadLength;
    public byte[] Payload;

    public readonly ReadOnlySpan<CreateResult> ResultSpan => Results.AsSpan(0, ResultCount);
    public readonly ReadOnlySpan<byte> PayloadSpan => Payload.AsSpan(0, PayloadLength);
}
