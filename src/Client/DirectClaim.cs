namespace Wallet.Client;

/// <summary>
/// A single transfer that took the direct path under the client lock: its one-item batch, already in flight under
/// <paramref name="CorrelationId"/>, whose frame the caller writes after leaving the lock. Default: queued instead.
/// </summary>
internal readonly record struct DirectClaim(CoalescedTransfersRequest? Batch, ulong CorrelationId);
