using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// Told once, on the coordinator's thread, how a submitted cross-partition transfer ended: <see cref="ResultCode.Ok"/>
/// (committed) or the reason it was refused or compensated. Called only after the deciding command is journaled.
/// Must return quickly (it runs on the coordinator's driver thread).
/// </summary>
public interface ISagaCompletion
{
    void OnSagaCompleted(long correlationId, ResultCode code, long timestamp);
}
