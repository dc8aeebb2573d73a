using Wallet.Engine.Journal;
using Wallet.Engine.Partition;
using Wallet.Gateway.Http;
using Wallet.Gateway.Tcp;
using Wallet.Replication.Cluster;

namespace Wallet.Host.Partitions;

/// <summary>
/// The node's live counters (GET /v1/admin/stat → <c>wallet stat</c>, and gauges on /metrics). One partition: the plain
/// names (<c>partition.applied_index</c>, <c>cluster.role</c>, …) as always. Several: the same names once per partition
/// with a <c>{partition=N}</c> suffix (<see cref="PartitionLabel"/>), which /metrics turns into a label.
/// </summary>
internal static class NodeCounters
{
    public static Func<IReadOnlyDictionary<string, long>> For(NodePartitions node, GatewayServer gateway) => () =>
    {
        var c = new Dictionary<string, long>(StringComparer.Ordinal);
        bool labelled = node.Count > 1;
        for (int p = 0; p < node.Count; p++)
        {
            string label = labelled ? PartitionLabel.Of(p) : string.Empty;
            PartitionEngine e = node.Engines[p];
            c["partition.state" + label] = (long)e.State;
            c["partition.journaled_index" + label] = e.JournaledIndex;
            c["partition.applied_index" + label] = e.AppliedIndex;
            c["partition.last_snapshot_index" + label] = e.LastSnapshotIndex;
            c["partition.ingress_backlog" + label] = e.IngressBacklog;
            c["partition.ingress_capacity" + label] = e.IngressCapacity;
            c["journal.bytes" + label] = JournalBytes(node.DirectoryOf(p));
            if (p < node.Agents.Count) AddCluster(c, node.Agents[p], label);
        }
        if (labelled) c["node.partitions"] = node.Count;
        AddSagas(c, node);
        AddForwarding(c, node);
        c["sbe.sessions"] = gateway.SessionCount;
        c["sbe.orphaned_results"] = gateway.OrphanedResults;
        c["sbe.logons_in_progress"] = gateway.LogonsInProgress;
        return c;
    };

    /// <summary>
    /// A replica's consensus state: role (0 follower, 1 pre-candidate, 2 candidate, 3 leader), term, leader id, commit and
    /// last index, and per member the entries it lags behind the leader's log (-1 on a follower: only the leader knows);
    /// snapshot catch-up and retention figures; <c>cluster.rejoining</c> is 1 while the replica is a non-voting catch-up
    /// member after data loss (Cluster:RejoinAfterDataLoss), 0 otherwise.
    /// </summary>
    private static void AddCluster(Dictionary<string, long> c, ConsensusAgent agent, string label)
    {
        c["cluster.node_id"] = agent.NodeId;
        c["cluster.role" + label] = (long)agent.Role;
        c["cluster.term" + label] = agent.Term;
        c["cluster.rejoining" + label] = agent.Rejoining ? 1 : 0;
        c["cluster.leader_id" + label] = agent.LeaderId;
        c["cluster.commit_index" + label] = agent.CommitIndex;
        c["cluster.last_index" + label] = agent.LastIndex;
        foreach (ClusterMember m in agent.Options.Members)
        {
            c[$"cluster.replica_lag.node_{m.Id}{label}"] = agent.LagOf(m.Id);
        }
        c["cluster.log_first_index" + label] = agent.SnapshotGaugeValue(SnapshotGauge.LogFirstIndex);
        c["cluster.snapshot_transfers_started" + label] = agent.SnapshotGaugeValue(SnapshotGauge.TransfersStarted);
        c["cluster.snapshot_transfers_completed" + label] = agent.SnapshotGaugeValue(SnapshotGauge.TransfersCompleted);
        c["cluster.snapshot_transfer_restarts" + label] = agent.SnapshotGaugeValue(SnapshotGauge.TransferRestarts);
        c["cluster.snapshots_installed" + label] = agent.SnapshotGaugeValue(SnapshotGauge.Installed);
        c["cluster.snapshots_rejected" + label] = agent.SnapshotGaugeValue(SnapshotGauge.Rejected);
        c["cluster.snapshot_required" + label] = agent.SnapshotGaugeValue(SnapshotGauge.Required);
    }

    /// <summary>
    /// The saga sequencer, when this node runs one: open sagas, resent steps and snapshots; on a cluster also this replica's
    /// place in the sequencer's group (role as for partitions, term, leader id, commit and applied index, installs).
    /// </summary>
    private static void AddSagas(Dictionary<string, long> c, NodePartitions node)
    {
        if (node.Sagas is { } coordinator)
        {
            c["saga.open"] = coordinator.OpenSagas;
            c["saga.steps_resent"] = coordinator.StepsResent;
            c["saga.dropped_answers"] = coordinator.DroppedAnswers;
            c["saga.snapshots_written"] = coordinator.SnapshotsWritten;
            c["saga.last_snapshot_index"] = coordinator.LastSnapshotIndex;
            // Sagas ended on an answer no correct partition gives (e.g. StepOutcomeForgotten): each needs an operator.
            // Read across threads: a monotonic 64-bit counter, a stale value is fine for a gauge.
            c["saga.anomalies"] = coordinator.Machine.Anomalies;
        }
        if (node.SagaReplica is { } replica)
        {
            c["saga.open"] = replica.OpenSagas;
            c["saga.steps_resent"] = replica.StepsResent;
            c["saga.dropped_answers"] = replica.DroppedAnswers;
            c["saga.snapshots_written"] = replica.SnapshotsWritten;
            c["saga.role"] = (long)replica.Role;
            c["saga.term"] = replica.Term;
            c["saga.rejoining"] = replica.Rejoining ? 1 : 0;
            c["saga.leader_id"] = replica.LeaderId;
            c["saga.commit_index"] = replica.CommitIndex;
            c["saga.applied_index"] = replica.AppliedIndex;
            c["saga.log_first_index"] = replica.LogFirstIndex;
            c["saga.snapshots_installed"] = replica.SnapshotsInstalled;
            c["saga.remote_step_failures"] = node.RemoteStepFailures;
            c["saga.anomalies"] = replica.Machine.Anomalies;
        }
    }

    /// <summary>A replica: requests its gateway forwarded to the nodes leading their partitions, and failures.</summary>
    private static void AddForwarding(Dictionary<string, long> c, NodePartitions node)
    {
        if (node.Agents.Count == 0) return;
        c["gateway.forwarded_requests"] = node.ForwardedRequests;
        c["gateway.forward_failures"] = node.ForwardFailures;
    }

    /// <summary>Bytes of the command and event journal segments on disk (a directory listing; read at scrape time).</summary>
    private static long JournalBytes(string dataDirectory)
    {
        long total = 0;
        try
        {
            foreach (string f in Directory.EnumerateFiles(dataDirectory, "*.seg")) total += new FileInfo(f).Length;
        }
        catch (IOException)
        {
            // A segment deleted between listing and stat: the next scrape counts again.
        }
        return total;
    }
}
