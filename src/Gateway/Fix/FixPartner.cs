using Wallet.Gateway.Auth;

namespace Wallet.Gateway.Fix;

/// <summary>
/// One configured counterparty. <paramref name="SenderCompId"/> is what the partner puts in SenderCompID (49),
/// <paramref name="TargetCompId"/> what it puts in TargetCompID (56) — our CompID for this session. The partner logs
/// on with Username (553) = <paramref name="Username"/> and Password (554) checked against
/// <paramref name="PasswordHash"/> (<see cref="PasswordHasher"/> format); role and debit grants work as for SBE users.
/// </summary>
public sealed record FixPartner(string SenderCompId, string TargetCompId, string Username, string PasswordHash, Role Role, IReadOnlyList<string> DebitAccounts);
