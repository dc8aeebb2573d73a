using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// Receives what the saga machine decides, synchronously, during <see cref="SagaStateMachine.Execute{TSink}"/>:
/// step requests to (re)send and sagas that ended. A struct sink keeps the call allocation-free.
/// </summary>
public interface ISagaSink
{
    /// <summary>Send <paramref name="step"/> (one <see cref="CommandKind.SystemTransfers"/> item) to <paramref name="partition"/>.</summary>
    void OnStepRequest(int partition, in Transfer step);

    /// <summary>
    /// A saga ended (or a Begin was refused: <paramref name="sagaId"/> 0). <paramref name="code"/> is the client's answer
    /// (<see cref="ResultCode.Ok"/> when committed), <paramref name="timestamp"/> the deciding command's stamp.
    /// </summary>
    void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp);
}
