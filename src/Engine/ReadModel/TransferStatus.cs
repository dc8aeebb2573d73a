namespace Wallet.Engine.ReadModel;

/// <summary>Where a transfer stands, as the read model saw it (stored values: never renumber).</summary>
public enum TransferStatus : ushort
{
    /// <summary>A single-phase transfer, or a post/void transfer: applied.</summary>
    Posted = 1,
    /// <summary>A two-phase hold not yet resolved.</summary>
    Pending = 2,
    /// <summary>A hold that a later transfer posted.</summary>
    PendingPosted = 3,
    /// <summary>A hold that a later transfer voided.</summary>
    PendingVoided = 4,
    /// <summary>A hold whose timeout passed.</summary>
    PendingExpired = 5,
}
