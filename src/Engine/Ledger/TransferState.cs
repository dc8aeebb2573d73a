namespace Wallet.Engine.Ledger;

/// <summary>Lifecycle of a stored transfer (snapshot wire value).</summary>
public enum TransferState : byte
{
    /// <summary>Single-phase transfer, or a post/void record: not a hold.</summary>
    Settled = 1,
    Pending = 2,
    Posted = 3,
    Voided = 4,
    Expired = 5,
    /// <summary>A tombstone: this id was fenced by a void with <see cref="TransferFlags.FenceIfAbsent"/> before any transfer had it.</summary>
    Fenced = 6,
}
