namespace Wallet.Gateway.Auth;

/// <summary>What a user may do besides moving money out of the accounts it is granted.</summary>
public enum Role
{
    /// <summary>CreateTransfers debiting granted accounts; lookups of granted accounts; any transfer lookup.</summary>
    Client = 0,
    /// <summary>Everything a client may, plus CreateAccounts, CloseAccounts, any debit, any lookup. Not SystemTransfers.</summary>
    Admin = 1,
    /// <summary>
    /// A peer node's saga sequencer: may send SystemTransfers (step transfers naming clearing accounts and step ids) to
    /// any partition, over the SBE gateway only; nothing else — no CreateAccounts/CloseAccounts/CreateTransfers, no
    /// lookups or read-model queries (the sequencer never reads; refusing keeps a leaked peer credential from reading
    /// balances), no HTTP, no FIX. Configured without DebitAccounts.
    /// </summary>
    System = 2,
    /// <summary>
    /// A peer node's SBE gateway forwarding items of its own clients' requests to the partitions (or the saga group) this
    /// node leads (docs/gateway.md, "Forwarding between nodes"): the peer has already authorised them against its
    /// client's grants, so it may send CreateTransfers (any debit), CreateAccounts, CloseAccounts, LookupAccounts and
    /// PeerLookupTransfers (one partition's transfer lookup) — nothing else (no SystemTransfers, LookupTransfers,
    /// read-model queries, HTTP or FIX). A peer's request is never
    /// forwarded again (no loops): items this node does not lead are answered as for any client. Configured without
    /// DebitAccounts.
    /// </summary>
    Peer = 3,
}
