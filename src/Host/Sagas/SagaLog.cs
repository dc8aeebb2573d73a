using Microsoft.Extensions.Logging;

namespace Wallet.Host.Sagas;

/// <summary>Log events of the node's cross-partition seam (600–699).</summary>
internal static partial class SagaLog
{
    [LoggerMessage(EventId = 601, Level = LogLevel.Error, Message = "Cross-partition transfer {TransferId} ({DebitAccountId} -> {CreditAccountId}, {Amount} minor units, ledger {Ledger}) ended with outcome unknown ({Code}): a step was retried after its partition's idempotency window forgot it. The source's hold is kept; reconcile it from the partitions' journals or read models (docs/SAGA.md, \"Steps older than the idempotency window\").")]
    public static partial void OutcomeForgotten(ILogger logger, UInt128 transferId, UInt128 debitAccountId, UInt128 creditAccountId, long amount, uint ledger, Wallet.Engine.Ledger.ResultCode code);
}
