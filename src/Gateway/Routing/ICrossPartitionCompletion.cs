using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Where the final outcome of an accepted cross-partition transfer goes: it delivers the outcome to whoever asked (an
/// SBE/FIX session like any partition result, or an HTTP request). An SBE or FIX session passes the same object for
/// every transfer it sends (one per session, so the path allocates nothing per transfer) and tells its transfers apart
/// by the correlation id handed back; an HTTP request or a split request passes one per transfer.
/// </summary>
public interface ICrossPartitionCompletion
{
    /// <summary>
    /// Transfer <paramref name="correlationId"/>'s final outcome (the id given to
    /// <see cref="ICrossPartitionTransfers.TrySubmit(in Transfer, long, ICrossPartitionCompletion)"/>) and the time it was
    /// decided (nanoseconds since the Unix epoch, from the deciding state machine's log — never a local clock read).
    /// Exactly once per accepted transfer, this or <see cref="OnNotLeader"/>; never blocks.
    /// </summary>
    void OnCompleted(long correlationId, ResultCode code, long timestampNs);

    /// <summary>
    /// Instead of <see cref="OnCompleted"/>: the replicated coordinator stopped leading before the outcome was decided.
    /// Not an outcome — the transfer may still commit under the next leader; the client resubmits with the same id.
    /// </summary>
    void OnNotLeader(long correlationId);

    /// <summary>
    /// Reserved for the <see cref="ICrossPartitionTransfers"/> implementation: where it may keep the adapter it wraps this
    /// completion in, made once and reused for every later transfer with the same completion. Implementations of this
    /// interface only store it. Written on the submitting thread, which for one completion is always the same.
    /// </summary>
    object? SeamAdapter { get; set; }
}
