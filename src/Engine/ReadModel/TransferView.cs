using Wallet.Engine.Ledger;

namespace Wallet.Engine.ReadModel;

/// <summary>A transfer as the read model holds it.</summary>
/// <param name="Transfer">The stored transfer (amount, accounts, flags, timestamp).</param>
/// <param name="Index">Log index of the command that created it.</param>
/// <param name="Status">Its state now (for a hold: whether it was posted, voided or expired).</param>
/// <param name="ResolvedIndex">Log index that posted/voided/expired a hold; 0 otherwise.</param>
/// <param name="ResolvedBy">Id of the post/void transfer that resolved a hold; zero otherwise.</param>
public readonly record struct TransferView(Transfer Transfer, long Index, TransferStatus Status, long ResolvedIndex, UInt128 ResolvedBy);
