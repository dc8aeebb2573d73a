namespace Wallet.Gateway.Auth;

/// <summary>What a user may do besides moving money out of the accounts it is granted.</summary>
public enum Role
{
    /// <summary>CreateTransfers debiting granted accounts; lookups of granted accounts; any transfer lookup.</summary>
    Client = 0,
    /// <summary>Everything: CreateAccounts, CloseAccounts, any debit, any lookup.</summary>
    Admin = 1,
}
