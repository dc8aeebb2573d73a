using Wallet.Engine.Partition;
using Wallet.Gateway.Routing;
using Wallet.Replication.Cluster;

namespace Wallet.Host.Cluster;

/// <summary>
/// Routing for one replica of a replicated partition: requests go to the local partition only while the consensus
/// agent leads; otherwise the gateway is told NotLeader and sends an SBE client to the leader it names. With a
/// forwarder, FIX and HTTP requests (whose clients cannot follow a Redirect) are forwarded to the leader instead.
/// </summary>
internal sealed class ReplicatedRouter(PartitionEngine partition, ConsensusAgent agent, IRequestForwarder? forwarder = null) : IRequestRouter
{
    public int PartitionCount => 1;

    public IRequestForwarder? Forwarder => forwarder;

    public int PartitionOf(UInt128 accountId) => 0;

    public SubmitStatus Submit(int partition1, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload) =>
        agent.IsLeader ? partition.TrySubmit(kind, correlationId, sessionId, payload) : SubmitStatus.NotLeader;

    public LeaderInfo LeaderOf(int partition1)
    {
        if (agent.IsLeader) return LeaderInfo.Local;
        ClusterMember? leader = agent.LeaderId >= 0 ? agent.Options.Member(agent.LeaderId) : null;
        return leader is null ? LeaderInfo.Unknown(agent.Term) : LeaderInfo.Remote(leader.Host, leader.ClientPort, agent.Term, leader.HttpPort);
    }
}
