using Wallet.Engine.Ledger;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The gateway's seam for a transfer whose debit and credit accounts live on different partitions (DESIGN §6): such a
/// transfer is not one atomic partition command, so the gateway hands it here instead of to a partition. The saga
/// coordinator implements it (its mode — Saga, TCC, 2PC — is its own configuration); until it is wired in,
/// <see cref="RefuseCrossPartitionTransfers"/> refuses every such transfer, as the gateway always did.
/// <para>Contract, for an implementation:</para>
/// <list type="bullet">
/// <item><c>TrySubmit</c> runs on a session's receive loop (SBE) or an HTTP request thread: it must not block
/// and must not throw for a bad transfer (validation failures are outcomes, given through the completion).</item>
/// <item>On <see cref="CrossPartitionSubmit.Accepted"/> the implementation owns the transfer and calls
/// <see cref="ICrossPartitionCompletion.OnCompleted"/> (or <see cref="ICrossPartitionCompletion.OnNotLeader"/>) exactly
/// once, from any thread, with the transfer's correlation id and the final outcome
/// (<see cref="ResultCode.Ok"/> = applied on both partitions; <see cref="ResultCode.Exists"/> = an earlier submission
/// of the same id stands; any other code = nothing applied, compensation included). Never for another status.</item>
/// <item>Retries of the same transfer id (after a timeout, a reconnect or a leader change) must apply once.</item>
/// </list>
/// The gateway sends each cross-partition transfer of a request here: a request of that one transfer, or the
/// cross-partition items of a request it splits over partitions (docs/gateway.md) — those, when there are several, as one
/// batch if the implementation takes batches. A linked chain that would span partitions is refused by the gateway.
/// </summary>
public interface ICrossPartitionTransfers
{
    /// <summary>False for the refusing default: the gateway then answers with its historical refusal text.</summary>
    bool Enabled { get; }

    /// <summary>
    /// Offers one cross-partition transfer. <paramref name="correlationId"/> is the client's (for logs and the
    /// implementation's own bookkeeping); the result reaches the client through <paramref name="completion"/>.
    /// </summary>
    CrossPartitionSubmit TrySubmit(in Transfer transfer, long correlationId, ICrossPartitionCompletion completion);

    /// <summary>
    /// Offers several cross-partition transfers at once (one queue claim and one wake-up instead of one each), all or
    /// none: on <see cref="CrossPartitionSubmit.Accepted"/> every transfer is taken and <paramref name="completion"/>
    /// hears each one's outcome by its position; on any other status none was taken. Each transfer is exactly as if
    /// offered alone (its own saga, its own outcome). <see cref="CrossPartitionSubmit.Unsupported"/> (the default, and
    /// for a batch larger than the implementation takes) means "offer them one at a time".
    /// </summary>
    CrossPartitionSubmit TrySubmit(ReadOnlySpan<Transfer> transfers, long correlationId, ICrossPartitionBatchCompletion completion) =>
        CrossPartitionSubmit.Unsupported;

    /// <summary>
    /// Where the coordinator's leader is, for a <see cref="CrossPartitionSubmit.NotLeader"/> answer (the client is
    /// redirected there). A coordinator that is not replicated is always local.
    /// </summary>
    LeaderInfo Leader => LeaderInfo.Local;
}
