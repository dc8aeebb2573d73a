namespace Wallet.Engine.Ledger;

/// <summary>
/// Limits and configuration of a <see cref="LedgerStateMachine"/>. Replicas and replays must use identical
/// options (restore does not re-check them beyond capacity limits).
/// </summary>
public sealed class LedgerOptions
{
    public const int DefaultMaxBatchSize = 8190;

    public required LedgerCatalog Catalog { get; init; }

    /// <summary>Capacity of the account table; creates beyond it get <see cref="ResultCode.AccountsLimitReached"/>.</summary>
    public int MaxAccounts { get; init; } = 1 << 20;

    /// <summary>Items per command; larger commands get one <see cref="ResultCode.BatchTooLarge"/>.</summary>
    public int MaxBatchSize { get; init; } = DefaultMaxBatchSize;

    /// <summary>Pending (unresolved) transfers held at once; beyond it <see cref="ResultCode.PendingTransfersLimitReached"/>.</summary>
    public int MaxPendingTransfers { get; init; } = 1 << 16;

    /// <summary>
    /// Idempotency window by count: at the start of each command the oldest stored transfers are forgotten
    /// until at most this many remain.
    /// </summary>
    public int TransferRetentionCount { get; init; } = 1 << 20;

    /// <summary>
    /// Idempotency window by log time (ns, 0 = off): at the start of each command, transfers with
    /// Timestamp ≤ stamp.Timestamp − TransferRetentionNs are forgotten.
    /// </summary>
    public long TransferRetentionNs { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Catalog);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAccounts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxAccounts, 1 << 28);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxBatchSize, 1 << 20);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingTransfers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPendingTransfers, 1 << 26);
        ArgumentOutOfRangeException.ThrowIfLessThan(TransferRetentionCount, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TransferRetentionCount, 1 << 27);
        ArgumentOutOfRangeException.ThrowIfLessThan(TransferRetentionNs, 0);
    }

    /// <summary>Slots for stored transfers: window + one batch of new ones + evicted-but-still-pending holds.</summary>
    internal int TransferSlotCapacity => TransferRetentionCount + MaxBatchSize + MaxPendingTransfers;
}
