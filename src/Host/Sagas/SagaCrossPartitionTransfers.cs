using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Routing;
using Wallet.Saga;

namespace Wallet.Host.Sagas;

/// <summary>
/// The gateway's cross-partition seam served by the saga coordinator: a transfer whose accounts live on two partitions
/// becomes a saga in the configured mode, and its final outcome (committed, or refused/compensated with the reason)
/// answers the client like a partition's result. Retries with the same transfer id apply once: the sequencer
/// remembers ended sagas by id, and every step is idempotent on its partition.
/// </summary>
internal sealed class SagaCrossPartitionTransfers(SagaCoordinator coordinator, SagaMode mode, ILogger? log = null) : ICrossPartitionTransfers
{
    private readonly ILogger _log = log ?? NullLogger.Instance;

    public bool Enabled => true;

    public SagaMode Mode => mode;

    public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (coordinator.Failure is not null) return CrossPartitionSubmit.NotRunning;
        // One small object per cross-partition transfer (the gateway's completion is one too): not the hot path.
        return coordinator.TrySubmit(transfer, mode, correlationId, new Completion(completion, transfer, _log, () => coordinator.Machine)) ? CrossPartitionSubmit.Accepted : CrossPartitionSubmit.Busy;
    }

    private sealed class Completion(ICrossPartitionCompletion inner, Transfer transfer, ILogger log, Func<SagaStateMachine> machine) : ISagaCompletion
    {
        public void OnSagaCompleted(long correlationId, ResultCode code, long timestamp)
        {
            if (code == ResultCode.StepOutcomeForgotten)
                SagaLog.ReportOutcomeForgotten(log, machine(), in transfer, code); // on the driver's thread: its table is safe to read
            inner.OnCompleted(code, timestamp);
        }
    }
}
