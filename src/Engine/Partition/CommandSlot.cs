using Wallet.Engine.Ledger;

namespace Wallet.Engine.Partition;

/// <summary>
/// One slot of a partition's ingress ring. Producers (gateway sessions, in-process callers) fill the request
/// part; the sequencer stage fills the stamp; the BLP reads both. The payload buffer belongs to the slot and is
/// reused lap after lap: it grows once to the largest command seen and never shrinks, so steady state allocates
/// nothing.
/// </summary>
public struct CommandSlot
{
    /// <summary>A <see cref="CommandKind"/> (journaled) or a <see cref="QueryKind"/> (read, not journaled).</summary>
    public ushort Kind;
    /// <summary>True when the stamp below was assigned elsewhere (a follower applying the leader's log).</summary>
    public bool Prestamped;
    public long CorrelationId;
    public long SessionId;
    /// <summary>Log index (for queries: the index the read observes).</summary>
    public long Index;
    public long Term;
    /// <summary>Nanoseconds since the Unix epoch, assigned by the sequencer.</summary>
    public long Timestamp;
    public int PayloadLength;
    public byte[] Payload;

    public readonly ReadOnlySpan<byte> PayloadSpan => Payload.AsSpan(0, PayloadLength);
}
