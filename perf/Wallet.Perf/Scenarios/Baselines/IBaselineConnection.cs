namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// One client connection to a baseline database, used by one load thread at a time. A transfer is one atomic
/// transaction there: record the id (idempotency), debit with a balance check, credit. Errors throw.
/// </summary>
internal interface IBaselineConnection : IDisposable
{
    /// <summary>Moves <see cref="BaselineLoad.AmountMinor"/> from account <paramref name="debitAccount"/> to <paramref name="creditAccount"/> (ids from 1).</summary>
    TransferOutcome Transfer(long transferId, long debitAccount, long creditAccount);
}
