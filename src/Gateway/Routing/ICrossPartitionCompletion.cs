using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Where the final outcome of an accepted cross-partition transfer goes: the gateway passes one per request and it
/// delivers the outcome to whoever asked (an SBE/FIX session like any partition result, or an HTTP request).
/// </summary>
public interface ICrossPartitionCompletion
{
    /// <summary>
    /// The transfer's final outcome and the time it was decided (nanoseconds since the Unix epoch, from the deciding
    /// state machine's log — never a local clock read). Call once; later calls are ignored. Never blocks.
    /// </summary>
    void OnCompleted(ResultCode code, long timestampNs);

    /// <summary>
    /// Instead of <see cref="OnCompleted"/>: the replicated coordinator stopped leading before the outcome was decided.
    /// Not an outcome — the transfer may still commit under the next leader; the client resubmits with the same id.
    /// </summary>
    void OnNotLeader();
}
