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
        // One adapter per gateway completion (a session's lives as long as the session), kept on it: nothing allocated
        // per transfer, no copy of the transfer (a forgotten outcome is logged from the saga's row, BENCHMARKS §28).
        var adapter = completion.SeamAdapter as Completion;
        if (adapter is null) completion.SeamAdapter = adapter = new Completion(completion, _log, _machine);
        return coordinator.TrySubmit(transfer, mode, correlationId, adapter) ? CrossPartitionSubmit.Accepted : CrossPartitionSubmit.Busy;
    }

    /// <summary>One inbox claim, one publish and at most one wake-up of the driver for the whole batch; correlation = position.</summary>
    public CrossPartitionSubmit TrySubmit(ReadOnlySpan<Transfer> transfers, long correlationId, ICrossPartitionBatchCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (transfers.Length > coordinator.MaxSubmitBatch) return CrossPartitionSubmit.Unsupported; // one at a time instead
        if (coordinator.Failure is not null) return CrossPartitionSubmit.NotRunning;
        // One object per batch, not per transfer, and no copy of the transfers (the anomaly log reads the saga's row).
        var batch = new BatchCompletion(completion, _log, _machine);
        return coordinator.TrySubmit(transfers, mode, 0, batch) ? CrossPartitionSubmit.Accepted : CrossPartitionSubmit.Busy;
    }

    private sealed class BatchCompletion(ICrossPartitionBatchCompletion inner, ILogger log, Func<SagaStateMachine> machine) : ISagaCompletion
    {
        public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
        {
            if (code == ResultCode.StepOutcomeForgotten)
                SagaLog.ReportOutcomeForgotten(log, machine(), sagaId, code); // on the driver's thread: its table is safe to read
            inner.OnCompleted((int)correlationId, code, timestamp);
        }
    }

    private sealed class Completion(ICrossPartitionCompletion inner, ILogger log, Func<SagaStateMachine> machine) : ISagaCompletion
    {
        public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
        {
            if (code == ResultCode.StepOutcomeForgotten)
                SagaLog.ReportOutcomeForgotten(log, machine(), sagaId, code); // on the driver's thread: its table is safe to read
            inner.OnCompleted(correlationId, code, timestamp);
        }
    }
}
