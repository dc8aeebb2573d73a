namespace Wallet.Engine.Partition;

/// <summary>
/// Reads that must be exact go through the ring to the BLP (so they observe every command before them) but are
/// not journaled: they change nothing. Values live above 0x8000 so they never collide with a
/// <see cref="Ledger.CommandKind"/>.
/// </summary>
public static class QueryKind
{
    /// <summary>Payload: 16-byte little-endian account ids. Answer: the found accounts (128 bytes each), in request order.</summary>
    public const ushort LookupAccounts = 0x8001;
    /// <summary>Payload: 16-byte little-endian transfer ids. Answer: the found transfers (128 bytes each), in request order.</summary>
    public const ushort LookupTransfers = 0x8002;

    /// <summary>Payload: empty. Answer: 16-byte little-endian state digest at the read's index (replicas compare these).</summary>
    public const ushort StateDigest = 0x8003;

    /// <summary>
    /// Not a request: the consensus module's refusal of a command this node can no longer sequence (it lost the
    /// leadership with the command in its ingress ring). Payload: empty. Answer: empty; the gateway tells the client
    /// to retry on the leader. Never journaled, never applied.
    /// </summary>
    public const ushort NotLeader = 0x8004;

    /// <summary>
    /// Not a request: the consensus module installed a snapshot received from the leader (this replica had fallen behind
    /// the leader's compacted log). The BLP replaces its state with that snapshot (index, term and timestamp in the
    /// slot), restarts the event journal after it, and continues with the next committed entry. Never journaled.
    /// </summary>
    public const ushort InstallSnapshot = 0x8005;

    public static bool IsQuery(ushort kind) => kind >= 0x8000;
}
