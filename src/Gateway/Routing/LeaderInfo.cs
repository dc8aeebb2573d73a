namespace Wallet.Gateway.Routing;

/// <summary>
/// Who leads a partition, as this node knows it. A single node always leads; under consensus a follower names the
/// leader's client endpoint (or nobody, during an election) so the gateway can send the client there.
/// </summary>
/// <param name="IsLocal">This node leads.</param>
/// <param name="Host">The leader's host as clients dial it (null when local or unknown).</param>
/// <param name="Port">The leader's SBE gateway port.</param>
/// <param name="Term">The consensus term this knowledge is from.</param>
/// <param name="HttpPort">The leader's HTTP/JSON API port when the cluster configuration publishes it, else 0.</param>
public readonly record struct LeaderInfo(bool IsLocal, string? Host, int Port, long Term, int HttpPort = 0)
{
    /// <summary>This node leads: serve the request here.</summary>
    public static LeaderInfo Local { get; } = new(true, null, 0, 0);

    /// <summary>No leader is known (an election is running): the client should retry shortly.</summary>
    public static LeaderInfo Unknown(long term) => new(false, null, 0, term);

    /// <summary>Another node leads; its gateway listens on <paramref name="host"/>:<paramref name="port"/> (its HTTP API on <paramref name="httpPort"/>, 0 = not published).</summary>
    public static LeaderInfo Remote(string host, int port, long term, int httpPort = 0) => new(false, host, port, term, httpPort);

    public bool IsKnownRemote => !IsLocal && Host is not null && Port is > 0 and <= ushort.MaxValue;
}
