using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// Told once, on the coordinator's thread, how a submitted cross-partition transfer ended: <see cref="ResultCode.Ok"/>
/// (committed) or the reason it was refused or compensated. Called only after the deciding command is journaled.
/// Must return quickly (it runs on the coordinator's driver thread).
/// </summary>
public interface ISagaCompletion
{
    /// <param name="correlationId">The submitter's correlation id.</param>
    /// <param name="sagaId">The saga that decided it, or 0 when none began (refused before a saga started). Its row is
    /// normally still in the driver's table during the call (ended sagas are retained: SagaOptions.RetainedCompletedSagas)
    /// but may be gone when fewer are retained than one round ends; readers must allow for that.</param>
    /// <param name="code">Ok (committed) or the reason it was refused or compensated.</param>
    /// <param name="timestamp">The deciding command's ledger time (ns).</param>
    void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp);
}
