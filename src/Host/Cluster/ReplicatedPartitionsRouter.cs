using Wallet.Engine.Partition;
using Wallet.Gateway.Routing;
using Wallet.Replication.Cluster;

namespace Wallet.Host.Cluster;

/// <summary>
/// Routing for one replica process of N replicated partitions: the account's partition (<see cref="PartitionMap"/>) is
/// served here only while this process's consensus agent of that partition leads; otherwise the gateway answers
/// NotLeader for that request and names that partition's leader. Leaders are elected per partition, so one client may
/// be sent to different nodes for different partitions — or, with a <see cref="IRequestForwarder"/> (the default on a
/// cluster, <see cref="PeerForwarder"/>), served here with the items led elsewhere forwarded to their leaders.
/// </summary>
internal sealed class ReplicatedPartitionsRouter : IRequestRouter
{
    private readonly PartitionEngine[] _partitions;
    private readonly ConsensusAgent[] _agents;
    private readonly PartitionMap _map;
    private readonly ICrossPartitionTransfers _crossPartition;

    public ReplicatedPartitionsRouter(IReadOnlyList<PartitionEngine> partitions, IReadOnlyList<ConsensusAgent> agents, PartitionMap map,
        ICrossPartitionTransfers? crossPartition = null, IRequestForwarder? forwarder = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(agents);
        ArgumentNullException.ThrowIfNull(map);
        if (partitions.Count != map.PartitionCount || agents.Count != map.PartitionCount)
            throw new ArgumentException($"{partitions.Count} partitions and {agents.Count} agents but the map has {map.PartitionCount}", nameof(partitions));
        _partitions = [.. partitions];
        _agents = [.. agents];
        _map = map;
        _crossPartition = crossPartition ?? RefuseCrossPartitionTransfers.Instance;
        Forwarder = forwarder;
    }

    public IRequestForwarder? Forwarder { get; }

    public int PartitionCount => _partitions.Length;

    public int PartitionOf(UInt128 accountId) => _map.PartitionOf(accountId);

    public ICrossPartitionTransfers CrossPartition => _crossPartition;

    public SubmitStatus Submit(int partition, ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload)
    {
        if ((uint)partition >= (uint)_partitions.Length) throw new ArgumentOutOfRangeException(nameof(partition), partition, $"0..{_partitions.Length - 1}");
        return _agents[partition].IsLeader ? _partitions[partition].TrySubmit(kind, correlationId, sessionId, payload) : SubmitStatus.NotLeader;
    }

    public bool HasRoom(int partition) => (uint)partition < (uint)_partitions.Length && !_partitions[partition].IngressFull;

    public LeaderInfo LeaderOf(int partition)
    {
        if ((uint)partition >= (uint)_agents.Length) return LeaderInfo.Unknown(0);
        ConsensusAgent agent = _agents[partition];
        if (agent.IsLeader) return LeaderInfo.Local;
        ClusterMember? leader = agent.LeaderId >= 0 ? agent.Options.Member(agent.LeaderId) : null;
        return leader is null ? LeaderInfo.Unknown(agent.Term) : LeaderInfo.Remote(leader.Host, leader.ClientPort, agent.Term, leader.HttpPort);
    }
}
