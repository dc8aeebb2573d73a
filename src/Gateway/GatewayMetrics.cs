using System.Diagnostics.Metrics;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway;

/// <summary>
/// The gateways' own instruments (System.Diagnostics.Metrics; exported by OpenTelemetry as Prometheus text on the
/// HTTP port's /metrics). Recording is allocation-free: tags are constant strings. Node-level gauges (indexes,
/// backlog, journal bytes, read-model lag) are observed from the host's counters, see <see cref="Http.HttpGateway"/>.
/// </summary>
public static class GatewayMetrics
{
    public const string MeterName = "Wallet";
    public const string NodeMeterName = "Wallet.Node";

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Requests offered to a partition (commands and exact queries), by front end.</summary>
    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("wallet.requests", "{request}", "Requests offered to a partition");

    /// <summary>Requests refused, by front end and reason (an HTTP problem code, an SBE RejectReason, or Busy).</summary>
    public static readonly Counter<long> Rejects = Meter.CreateCounter<long>("wallet.rejects", "{request}", "Requests refused, by reason");

    /// <summary>Submit → committed result, as the HTTP API sees it (ring, journal and sync, BLP, egress).</summary>
    public static readonly Histogram<double> CommitLatency = Meter.CreateHistogram<double>("wallet.commit.latency", "ms", "Submit to committed result");

    /// <summary>fdatasync calls on the FIX session stores (Fix:Fsync batch: about one per socket write per session; always: per write).</summary>
    public static readonly Counter<long> FixStoreSyncs = Meter.CreateCounter<long>("wallet.fix.store.syncs", "{sync}", "fdatasync calls on the FIX session stores");

    /// <summary>
    /// SBE answers flushed at the end of an egress batch, by path: <c>egress</c> — written by the partition's egress
    /// thread in one non-blocking send; <c>writer_loop</c> — handed to the session's writer loop (the socket was full,
    /// the loop was already sending, or only part fit). Mostly <c>writer_loop</c> means slow readers or full sockets.
    /// </summary>
    public static readonly Counter<long> SbeAnswerFlushes = Meter.CreateCounter<long>("wallet.sbe.answer_flushes", "{flush}", "SBE answer flushes at the end of an egress batch, by path");

    /// <summary>
    /// SBE requests whose items live on several partitions, split by the gateway into one command per partition (plus
    /// one saga per cross-partition transfer) and answered as one; <c>wallet.requests</c> counts each once too.
    /// </summary>
    public static readonly Counter<long> SplitRequests = Meter.CreateCounter<long>("wallet.sbe.split_requests", "{request}", "SBE requests split over several partitions");

    /// <summary>
    /// Requests sent on to another node's gateway with items of an SBE request that node leads (docs/gateway.md,
    /// "Forwarding between nodes"): one per node per client request.
    /// </summary>
    public static readonly Counter<long> ForwardedRequests = Meter.CreateCounter<long>("wallet.sbe.forwarded_requests", "{request}", "SBE request parts forwarded to the node leading their partitions");

    public static readonly KeyValuePair<string, object?> FlushedByEgress = new("path", "egress");
    public static readonly KeyValuePair<string, object?> FlushedByWriterLoop = new("path", "writer_loop");

    public static readonly KeyValuePair<string, object?> Http = new("front_end", "http");
    public static readonly KeyValuePair<string, object?> Sbe = new("front_end", "sbe");

    private static readonly string[] RejectNames = BuildRejectNames();

    private static string[] BuildRejectNames()
    {
        var names = new string[32];
        for (int i = 0; i < names.Length; i++) names[i] = Enum.IsDefined((RejectReason)i) ? ((RejectReason)i).ToString() : "Other";
        return names;
    }

    /// <summary>Counts an SBE reject (cached reason names: no allocation).</summary>
    public static void SbeReject(RejectReason reason)
    {
        int i = (int)reason;
        Rejects.Add(1, Sbe, new KeyValuePair<string, object?>("code", (uint)i < (uint)RejectNames.Length ? RejectNames[i] : "Other"));
    }

    public static void HttpReject(string code) => Rejects.Add(1, Http, new KeyValuePair<string, object?>("code", code));
}
