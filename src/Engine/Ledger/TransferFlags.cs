namespace Wallet.Engine.Ledger;

/// <summary>Transfer flags (wire value, ushort at offset 118 of <see cref="Transfer"/>). Unknown bits are rejected.</summary>
[Flags]
public enum TransferFlags : ushort
{
    None = 0,
    /// <summary>Chains this transfer with the next item of the batch (all-or-nothing).</summary>
    Linked = 1 << 0,
    /// <summary>Two-phase step 1: reserve the amount in debits_pending/credits_pending.</summary>
    Pending = 1 << 1,
    /// <summary>Two-phase step 2: post (all or part of) the pending transfer named by PendingId.</summary>
    PostPendingTransfer = 1 << 2,
    /// <summary>Two-phase step 2: release the pending transfer named by PendingId.</summary>
    VoidPendingTransfer = 1 << 3,
    /// <summary>
    /// System only, with <see cref="VoidPendingTransfer"/>: if no transfer PendingId exists, record PendingId as fenced
    /// (a later transfer with that id is refused with <see cref="ResultCode.TransferFenced"/>) — TCC's out-of-order rule.
    /// </summary>
    FenceIfAbsent = 1 << 4,
    /// <summary>System only, with <see cref="Pending"/>: while pending, the hold's non-system accounts refuse other new transfers (2PC prepare).</summary>
    LockAccounts = 1 << 5,
}
