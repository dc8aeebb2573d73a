using Wallet.Client;
using Wallet.Gateway.Routing;
using Wallet.Host.Configuration;

namespace Wallet.Host.Cluster;

/// <summary>
/// Forwarding between nodes for a replica of several partitions (docs/gateway.md, "Forwarding between nodes"): one
/// <see cref="ForwardLink"/> per other node's SBE gateway, opened on first use. The nodes are the cluster's members
/// (a leader named by consensus), so the links are bounded by the member count (and by <see cref="MaxLinks"/>).
/// </summary>
internal sealed class PeerForwarder : IRequestForwarder, IAsyncDisposable
{
    /// <summary>More distinct nodes than any cluster has: a leader outside this many is refused (Busy), never a new link.</summary>
    public const int MaxLinks = 64;

    private readonly ForwardingSettings _settings;
    private readonly Dictionary<(string Host, int Port), ForwardLink> _links = [];

    public PeerForwarder(ForwardingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    /// <summary>Requests forwarded to other nodes so far (all links).</summary>
    public long Forwarded => Sum(static l => l.Forwarded);

    /// <summary>Forwards that failed (all links): answered not taken or with an unknown outcome.</summary>
    public long Failures => Sum(static l => l.Failures);

    public bool TryForward(in LeaderInfo node, ushort kind, ReadOnlySpan<byte> payload, int count, IForwardCompletion completion)
    {
        if (!node.IsKnownRemote) return false;
        ForwardLink? link = LinkTo(node.Host!, node.Port);
        return link is not null && link.TryForward(kind, payload, count, completion);
    }

    public bool TryForwardTransferLookup(in LeaderInfo node, int partition, ReadOnlySpan<UInt128> ids, ITransferLookupCompletion completion)
    {
        if (!node.IsKnownRemote) return false;
        ForwardLink? link = LinkTo(node.Host!, node.Port);
        return link is not null && link.TryForwardTransferLookup(partition, ids, completion);
    }

    private ForwardLink? LinkTo(string host, int port)
    {
        lock (_links)
        {
            if (_links.TryGetValue((host, port), out ForwardLink? link)) return link;
            if (_links.Count >= MaxLinks) return null;
            link = new ForwardLink(new WalletClientOptions
            {
                Host = host,
                Port = port,
                // Only that node: another one would not lead these partitions (a Redirect from it is followed anyway).
                SeedEndpoints = [new WalletEndpoint(host, port)],
                ClientId = _settings.PeerUser,
                Credential = _settings.PeerPassword,
                RequestTimeoutMs = _settings.RequestTimeoutMs,
                ConnectTimeoutMs = 2_000,
                MaxInFlight = _settings.MaxInFlightPerNode,
                MaxQueuedRequests = _settings.MaxInFlightPerNode,
                // A full ring over there is answered at once (PartitionUnavailable, resubmit) rather than held here.
                BusyRetryLimit = 2,
                BusyRetryMaxDelayMs = 20,
            }, _settings.MaxInFlightPerNode);
            _links.Add((host, port), link);
            return link;
        }
    }

    private long Sum(Func<ForwardLink, long> of)
    {
        long total = 0;
        lock (_links)
        {
            foreach (ForwardLink l in _links.Values) total += of(l);
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        ForwardLink[] links;
        lock (_links)
        {
            links = [.. _links.Values];
            _links.Clear();
        }
        foreach (ForwardLink l in links) await l.DisposeAsync().ConfigureAwait(false);
    }
}
