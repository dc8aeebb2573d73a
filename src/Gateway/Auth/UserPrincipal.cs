namespace Wallet.Gateway.Auth;

/// <summary>A logged-on identity: what a session may do. Immutable; shared by all sessions of the user.</summary>
public sealed class UserPrincipal(string name, Role role, AccountGrant debitGrant)
{
    public string Name { get; } = name;
    public Role Role { get; } = role;
    public AccountGrant DebitGrant { get; } = debitGrant;
    public bool IsAdmin => Role == Role.Admin;

    /// <summary>A peer's saga sequencer: SystemTransfers only (see <see cref="Role.System"/>).</summary>
    public bool IsSystem => Role == Role.System;

    /// <summary>A peer node's gateway forwarding what it has authorised for its own clients (see <see cref="Role.Peer"/>).</summary>
    public bool IsPeer => Role == Role.Peer;

    /// <summary>
    /// May create/close accounts, debit any account and look up any account: an admin, or a peer gateway (which checked
    /// its own client's rights before forwarding).
    /// </summary>
    public bool ActsAsAdmin => Role is Role.Admin or Role.Peer;

    /// <summary>A system principal debits nothing through client requests: its grant is empty by construction.</summary>
    public bool MayDebit(UInt128 accountId) => ActsAsAdmin || (!IsSystem && DebitGrant.Contains(accountId));
}
