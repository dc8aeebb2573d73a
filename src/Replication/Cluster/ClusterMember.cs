namespace Wallet.Replication.Cluster;

/// <summary>One replica of a partition: where its clients and its peers reach it.</summary>
/// <param name="Id">Node id, unique in the cluster (0..65535).</param>
/// <param name="Host">Host name or address, as clients and peers should dial it (sent to clients in Redirect).</param>
/// <param name="ClientPort">The SBE gateway's port.</param>
/// <param name="ReplicationPort">The consensus transport's port.</param>
/// <param name="HttpPort">
/// The HTTP/JSON API's port, published so that a follower's HTTP "not the leader" answer can name the leader's API;
/// 0 when not published (the answer then names only the leader's SBE gateway).
/// </param>
public sealed record ClusterMember(int Id, string Host, int ClientPort, int ReplicationPort, int HttpPort = 0);
