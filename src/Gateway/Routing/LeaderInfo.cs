namespace Wallet.Gateway.Routing;

/// <summary>
/// Who leads a partition, as this node knows it. A single node always leads; under consensus a follower names the
/// leader's client endpoint (or nobody, during an election) so the gateway can send the client there.
/// </summary>
public readonly record struct LeaderInfo(bool IsLocal, string? Host, int Port, long Term)
{
    /// <summary>This node leads: serve the request here.</summary>
    public static LeaderInfo Local { get; } = new(true, null, 0, 0);

    /// <summary>No leader is known (an election is running): the client should retry shortly.</summary>
    public static LeaderInfo Unknown(long term) => new(false, null, 0, term);

    /// <summary>Another node leads; its gateway listens on <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static LeaderInfo Remote(string host, int port, long term) => new(false, host, port, term);

    public bool IsKnownRemote => !IsLocal && Host is not null && Port is > 0 and <= ushort.MaxValue;
}
