namespace Wallet.Gateway.Auth;

/// <summary>A user as configured: name, salted password hash, role and the accounts it may debit.</summary>
public sealed record UserDefinition(string Name, string PasswordHash, Role Role, IReadOnlyList<string> DebitAccounts);
