using Wallet.Engine.Ledger;

namespace Wallet.Engine.Partition;

/// <summary>
/// One slot of a partition's ingress ring. Producers (gateway sessions, in-process callers) fill the request
/// part; the sequencer stage fills the stamp; the BLP reads both. A small payload (≤ <see cref="PayloadPool.SmallPayloadBytes"/>)
/// lives in the slot's own buffer, reused lap after lap; a larger one in a buffer borrowed from the partition's
/// <see cref="PayloadPool"/>, returned by the slot's last consumer (<see cref="FillPayload"/> / <see cref="Release"/>).
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
    /// <summary>The slot's own buffer while <see cref="Payload"/> is borrowed from a pool (null otherwise).</summary>
    internal byte[]? OwnPayload;

    public readonly ReadOnlySpan<byte> PayloadSpan => Payload.AsSpan(0, PayloadLength);

    /// <summary>Copies <paramref name="payload"/> in: into the slot's own buffer when small, else into a pooled one.</summary>
    internal void FillPayload(ReadOnlySpan<byte> payload, PayloadPool pool)
    {
        if (OwnPayload is not null) Release(pool); // never expected (the last consumer releases), but never leak the own buffer
        if (payload.Length <= PayloadPool.SmallPayloadBytes)
        {
            // Grows once per slot up to the small limit; steady state allocates nothing.
            if (Payload.Length < payload.Length) Payload = new byte[Math.Min(PayloadPool.SmallPayloadBytes, Math.Max(payload.Length, Payload.Length * 2))];
        }
        else
        {
            OwnPayload = Payload;
            Payload = pool.Rent(payload.Length);
        }

        payload.CopyTo(Payload);
        PayloadLength = payload.Length;
    }

    /// <summary>The last consumer is done with the payload: a borrowed buffer goes back to the pool.</summary>
    internal void Release(PayloadPool pool)
    {
        if (OwnPayload is null) return;
        pool.Return(Payload);
        Payload = OwnPayload;
        OwnPayload = null;
        PayloadLength = 0;
    }
}
