namespace Wallet.Gateway.Auth;

/// <summary>A logged-on identity: what a session may do. Immutable; shared by all sessions of the user.</summary>
public sealed class UserPrincipal(string name, Role role, AccountGrant debitGrant)
{
    public string Name { get; } = name;
    public Role Role { get; } = role;
    public AccountGrant DebitGrant { get; } = debitGrant;
    public bool IsAdmin => Role == Role.Admin;

    public bool MayDebit(UInt128 accountId) => IsAdmin || DebitGrant.Contains(accountId);
}
