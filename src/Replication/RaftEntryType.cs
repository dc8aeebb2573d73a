namespace Wallet.Replication;

/// <summary>
/// Reserved log entry types written by the consensus module itself. Ledger commands use
/// <see cref="Wallet.Engine.Ledger.CommandKind"/> values (1..4); appliers must skip types they do not know.
/// </summary>
public static class RaftEntryType
{
    /// <summary>
    /// The empty entry a new leader appends at the start of its term: committing it commits every earlier entry
    /// (Raft commits only current-term entries by counting). The ledger ignores it.
    /// </summary>
    public const ushort NewLeaderTerm = 0x7F00;
}
