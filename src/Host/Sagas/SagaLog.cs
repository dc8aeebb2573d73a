using Microsoft.Extensions.Logging;

namespace Wallet.Host.Sagas;

/// <summary>Log events of the node's cross-partition seam (600–699).</summary>
internal static partial class SagaLog
{
    [LoggerMessage(EventId = 601, Level = LogLevel.Error, Message = "Cross-partition transfer {TransferId} ({DebitAccountId} -> {CreditAccountId}, {Amount} minor units, ledger {Ledger}) ended with outcome unknown ({Code}): saga {SagaId} retried a step after its partition's idempotency window forgot it. Its source hold on partition {SourcePartition} is kept: find out whether the credit applied on partition {DestPartition}, then `wallet saga resolve {SagaId} --source-partition {SourcePartition} --post` (it did) or `--void` (it did not) (docs/SAGA.md, \"Steps older than the idempotency window\").")]
    public static partial void OutcomeForgotten(ILogger logger, UInt128 transferId, UInt128 debitAccountId, UInt128 creditAccountId, long amount, uint ledger, Wallet.Engine.Ledger.ResultCode code, ulong sagaId, int sourcePartition, int destPartition);

    /// <summary>
    /// Logs 601 for a saga that ended with an unknown outcome, from its row in the driver's table (still there during the
    /// completion call). Call on the saga driver's thread (reads its table). No row (retention 0): the ids known.
    /// </summary>
    public static void ReportOutcomeForgotten(ILogger logger, Wallet.Saga.SagaStateMachine machine, ulong sagaId, Wallet.Engine.Ledger.ResultCode code)
    {
        if (sagaId != 0 && machine.TryGetSaga(sagaId, out Wallet.Saga.SagaRecord saga))
        {
            ref readonly Wallet.Engine.Ledger.Transfer t = ref saga.Transfer;
            OutcomeForgotten(logger, t.Id, t.DebitAccountId, t.CreditAccountId, t.Amount, t.Ledger, code, sagaId, saga.SourcePartition, saga.DestPartition);
            return;
        }
        OutcomeForgotten(logger, 0, 0, 0, 0, 0, code, sagaId, -1, -1);
    }
}
