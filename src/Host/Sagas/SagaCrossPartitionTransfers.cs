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
    // One delegate for every completion (see ReplicatedSagaCrossPartitionTransfers): not a lambda per submit.
    private readonly Func<SagaStateMachine> _machine = () => coordinator.Machine;

    public bool Enabled => true;

    public SagaMode Mode => mode;

    public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (coordinator.Failure is not null) return CrossPartitionSubmit.NotRunning;
        // One small object per cross-partition transfer (the gateway's completion is one too): not the hot path.
        return coordinator.TrySubmit(transfer, mode, correlationId, new Completion(completion, transfer, _log, _machine)) ? CrossPartitionSubmit.Accepted : CrossPartitionSubmit.Busy;
    }

    /// <summary>One inbox claim, one publish and at most one wake-up of the driver for the whole batch; correlation = position.</summary>
    public CrossPartitionSubmit TrySubmit(ReadOnlySpan<Transfer> transfers, long correlationId, ICrossPartitionBatchCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (transfers.Length > coordinator.MaxSubmitBatch) return CrossPartitionSubmit.Unsupported; // one at a time instead
        if (coordinator.Failure is not null) return CrossPartitionSubmit.NotRunning;
        // The copy keeps each transfer for the anomaly log (StepOutcomeForgotten); one object per batch, not per transfer.
        var batch = new BatchCompletion(completion, transfers.ToArray(), _log, _machine);
        return coordinator.TrySubmit(transfers, mode, 0, batch) ? CrossPartitionSubmit.Accepted : CrossPartitionSubmit.Busy;
    }

    private sealed class BatchCompletion(ICrossPartitionBatchCompletion inner, Transfer[] transfers, ILogger log, Func<SagaStateMachine> machine) : ISagaCompletion
    {
        public void OnSagaCompleted(long correlationId, ResultCode code, long timestamp)
        {
            int item = (int)correlationId;
            if (code == ResultCode.StepOutcomeForgotten)
                SagaLog.ReportOutcomeForgotten(log, machine(), in transfers[item], code);
            inner.OnCompleted(item, code, timestamp);
        }
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
