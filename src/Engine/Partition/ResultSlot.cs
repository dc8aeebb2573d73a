using Wallet.Engine.Ledger;

namespace Wallet.Engine.Partition;

/// <summary>
/// One slot of a partition's egress ring: the outcome of one command or query, pushed to whoever owns
/// <see cref="SessionId"/>. Buffers belong to the slot and are reused; results of a command with more items than the
/// slot's own array holds go into an array borrowed from the partition's results pool, which the egress stage hands
/// back once the handler returned (handlers copy what they keep: the arrays are reused).
/// </summary>
public struct ResultSlot
{
    public ushort Kind;
    /// <summary>The partition that answered (<see cref="PartitionOptions.PartitionId"/>): set once when the ring is built, never rewritten.</summary>
    public int Partition;
    public long CorrelationId;
    public long SessionId;
    public long Index;
    public long Timestamp;
    /// <summary>Per-item results of a command (one per item of the batch).</summary>
    public int ResultCount;
    public CreateResult[] Results;
    /// <summary>The slot's own results array while <see cref="Results"/> is borrowed (null otherwise).</summary>
    internal CreateResult[]? OwnResults;
    /// <summary>Query answers: the found <see cref="Account"/> or <see cref="Transfer"/> structs, back to back.</summary>
    public int PayloadLength;
    public byte[] Payload;

    public readonly ReadOnlySpan<CreateResult> ResultSpan => Results.AsSpan(0, ResultCount);
    public readonly ReadOnlySpan<byte> PayloadSpan => Payload.AsSpan(0, PayloadLength);
}
