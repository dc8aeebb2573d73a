using System.Runtime.InteropServices;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Routing;
using Wallet.Host.Configuration;

namespace Wallet.Host.Cluster;

/// <summary>
/// Forwarding between nodes for a replica of several partitions (docs/gateway.md, "Forwarding between nodes"): one
/// <see cref="ForwardLink"/> per other node's SBE gateway, opened on first use — and, for single transfers, one per node
/// and partition. Why: the client SDK coalesces single transfers into one message; transfers of two partitions in one
/// message are split by the receiving gateway, and a split answer carries no log index (no single partition's index
/// decides it), so a forwarded transfer would be acknowledged without the leader's receipt (seen in CI: an HTTP "Ok"
/// with index 0 after a failover left one node leading both partitions). The nodes are the cluster's members (a leader
/// named by consensus), so the links are bounded by members × (partitions + 1) and by <see cref="MaxLinks"/>.
/// </summary>
internal sealed class PeerForwarder : IRequestForwarder, IAsyncDisposable
{
    /// <summary>More links than any cluster needs: beyond, a forward is refused (Busy), never a new link.</summary>
    public const int MaxLinks = 1024;

    /// <summary>The partition key of links that carry everything but single transfers.</summary>
    private const int AnyPartition = -1;

    private readonly ForwardingSettings _settings;
    private readonly Func<UInt128, int> _partitionOf;
    private readonly Dictionary<(string Host, int Port, int Partition), ForwardLink> _links = [];

    /// <param name="settings">The "Forwarding" section: the peer user, in-flight bound and timeout of every link.</param>
    /// <param name="partitionOf">The node's account → partition function: single transfers go over a link of their partition.</param>
    public PeerForwarder(ForwardingSettings settings, Func<UInt128, int> partitionOf)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(partitionOf);
        _settings = settings;
        _partitionOf = partitionOf;
    }

    /// <summary>Requests forwarded to other nodes so far (all links).</summary>
    public long Forwarded => Sum(static l => l.Forwarded);

    /// <summary>Forwards that failed (all links): answered not taken or with an unknown outcome.</summary>
    public long Failures => Sum(static l => l.Failures);

    public bool TryForward(in LeaderInfo node, ushort kind, ReadOnlySpan<byte> payload, int count, IForwardCompletion completion)
    {
        if (!node.IsKnownRemote) return false;
        // A single transfer rides the SDK's coalesced path: keep each partition's on its own link (see the summary).
        int partition = kind == (ushort)CommandKind.CreateTransfers && count == 1 && payload.Length >= Transfer.SizeBytes
            ? _partitionOf(MemoryMarshal.Read<Transfer>(payload).DebitAccountId)
            : AnyPartition;
        ForwardLink? link = LinkTo(node.Host!, node.Port, partition);
        return link is not null && link.TryForward(kind, payload, count, completion);
    }

    public bool TryForwardTransferLookup(in LeaderInfo node, int partition, ReadOnlySpan<UInt128> ids, ITransferLookupCompletion completion)
    {
        if (!node.IsKnownRemote) return false;
        ForwardLink? link = LinkTo(node.Host!, node.Port, AnyPartition);
        return link is not null && link.TryForwardTransferLookup(partition, ids, completion);
    }

    private ForwardLink? LinkTo(string host, int port, int partition)
    {
        lock (_links)
        {
            if (_links.TryGetValue((host, port, partition), out ForwardLink? link)) return link;
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
            _links.Add((host, port, partition), link);
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
