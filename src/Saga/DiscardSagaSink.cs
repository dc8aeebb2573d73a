using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// A sink that drops what the machine decides: for replaying a journal (recovery, a follower applying the log), where
/// steps must not be sent again from the replay and nobody waits for the answers.
/// </summary>
internal readonly struct DiscardSagaSink : ISagaSink
{
    public void OnStepRequest(int partition, in Transfer step)
    {
    }

    public void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
    {
    }
}
