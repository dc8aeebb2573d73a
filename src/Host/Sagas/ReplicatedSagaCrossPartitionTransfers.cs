using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Routing;
using Wallet.Replication.Cluster;
using Wallet.Saga;
using Wallet.Saga.Replicated;

namespace Wallet.Host.Sagas;

/// <summary>
/// The gateway's cross-partition seam on a cluster node: transfers go to this node's saga replica while it leads the
/// saga group; otherwise the client is sent to the saga leader's gateway (Redirect) — that node takes cross-partition
/// transfers whichever partitions it leads. A replica that stops leading with transfers in flight tells each client
/// NotLeader (the outcome is unknown: it may still commit under the next leader); the client resubmits with the same
/// id and the saga table's idempotency gives the one outcome.
/// </summary>
internal sealed class ReplicatedSagaCrossPartitionTransfers(SagaReplica replica, SagaMode mode, ILogger? log = null) : ICrossPartitionTransfers
{
    private readonly ILogger _log = log ?? NullLogger.Instance;
    // One delegate for every completion (read only on the driver's thread, to report a forgotten outcome): a lambda
    // per submit was an allocation per cross-partition transfer.
    private readonly Func<SagaStateMachine> _machine = () => replica.Machine;

    public bool Enabled => true;

    public SagaMode Mode => mode;

    public LeaderInfo Leader
    {
        get
        {
            if (replica.IsLeader) return LeaderInfo.Local;
            int id = replica.LeaderId;
            ClusterMember? leader = id >= 0 ? replica.Cluster.Member(id) : null;
            return leader is null ? LeaderInfo.Unknown(replica.Term) : LeaderInfo.Remote(leader.Host, leader.ClientPort, replica.Term, leader.HttpPort);
        }
    }

    public CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        // One adapter per gateway completion, kept on it (a session's serves all its transfers): nothing per transfer.
        var adapter = completion.SeamAdapter as Completion;
        if (adapter is null) completion.SeamAdapter = adapter = new Completion(completion, _log, _machine);
        return replica.TrySubmit(transfer, mode, correlationId, adapter) switch
        {
            SagaReplicaSubmit.Accepted => CrossPartitionSubmit.Accepted,
            SagaReplicaSubmit.Busy => CrossPartitionSubmit.Busy,
            SagaReplicaSubmit.NotLeader => CrossPartitionSubmit.NotLeader,
            _ => CrossPartitionSubmit.NotRunning,
        };
    }

    /// <summary>One inbox claim and one wake-up of the replica for the whole batch; correlation = position.</summary>
    public CrossPartitionSubmit TrySubmit(ReadOnlySpan<Transfer> transfers, long correlationId, ICrossPartitionBatchCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (transfers.Length > replica.MaxSubmitBatch) return CrossPartitionSubmit.Unsupported; // one at a time instead
        var batch = new BatchCompletion(completion, _log, _machine); // no copy of the transfers: the anomaly log reads the saga's row
        return replica.TrySubmit(transfers, mode, 0, batch) switch
        {
            SagaReplicaSubmit.Accepted => CrossPartitionSubmit.Accepted,
            SagaReplicaSubmit.Busy => CrossPartitionSubmit.Busy,
            SagaReplicaSubmit.NotLeader => CrossPartitionSubmit.NotLeader,
            _ => CrossPartitionSubmit.NotRunning,
        };
    }

    private sealed class BatchCompletion(ICrossPartitionBatchCompletion inner, ILogger log, Func<SagaStateMachine> machine) : ISagaReplicaCompletion
    {
        public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
        {
            if (code == ResultCode.StepOutcomeForgotten)
                SagaLog.ReportOutcomeForgotten(log, machine(), sagaId, code); // on the driver's thread: its table is safe to read
            inner.OnCompleted((int)correlationId, code, timestamp);
        }

        public void OnNotLeader(long correlationId, int leaderId) => inner.OnNotLeader((int)correlationId);
    }

    private sealed class Completion(ICrossPartitionCompletion inner, ILogger log, Func<SagaStateMachine> machine) : ISagaReplicaCompletion
    {
        public void OnSagaCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp)
        {
            if (code == ResultCode.StepOutcomeForgotten)
                SagaLog.ReportOutcomeForgotten(log, machine(), sagaId, code); // on the driver's thread: its table is safe to read
            inner.OnCompleted(correlationId, code, timestamp);
        }

        public void OnNotLeader(long correlationId, int leaderId) => inner.OnNotLeader(correlationId);
    }
}
