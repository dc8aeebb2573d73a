namespace Wallet.Gateway.Routing;

/// <summary>
/// Sends items of a client's request to another node's SBE gateway — the node that leads their partition (or the saga
/// group) — as one request of a session of the peer role, and reports its answer (docs/gateway.md, "Forwarding between
/// nodes"). Implemented by the host over the client SDK (the gateway does not depend on the SDK); a router without one
/// forwards nothing and answers Redirect as before.
/// </summary>
public interface IRequestForwarder
{
    /// <summary>
    /// Offers <paramref name="count"/> items of <paramref name="kind"/> (CreateTransfers, CreateAccounts, CloseAccounts or LookupAccounts) to the gateway at
    /// <paramref name="node"/>: <paramref name="payload"/> holds the ledger's 128-byte structs (CreateTransfers,
    /// CreateAccounts) or 16-byte ids (CloseAccounts, LookupAccounts) and is copied before this returns. False when
    /// nothing was and nothing will be sent (too many forwarded requests to that node already): the caller answers as
    /// for a full ring. After true, exactly one call on <paramref name="completion"/> follows, on any thread.
    /// </summary>
    bool TryForward(in LeaderInfo node, ushort kind, ReadOnlySpan<byte> payload, int count, IForwardCompletion completion);

    /// <summary>
    /// Offers a transfer lookup of one partition to the gateway at <paramref name="node"/>, which leads it
    /// (PeerLookupTransfers: answered only by that partition's leader, so the answer is known to cover it). The ids are
    /// copied before this returns; false when nothing was and nothing will be sent. After true, exactly one call on
    /// <paramref name="completion"/> follows, on any thread.
    /// </summary>
    bool TryForwardTransferLookup(in LeaderInfo node, int partition, ReadOnlySpan<UInt128> ids, ITransferLookupCompletion completion);
}
