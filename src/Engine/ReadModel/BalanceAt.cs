using Wallet.Engine.Partition;

namespace Wallet.Engine.ReadModel;

/// <summary>Outcome of a point-in-time read.</summary>
public enum BalanceAtStatus
{
    Found,
    /// <summary>The account did not exist at the target (created later, or never).</summary>
    NotFound,
    /// <summary>The target is an index the view has not applied yet: ask again later (or ask the BLP).</summary>
    ViewBehind,
}

/// <summary>
/// The balances of one account as of a log index or a time, from its history: the last change at or before the
/// target. <see cref="ChangeIndex"/> is the log index of that change; <see cref="View"/> the view's position.
/// </summary>
public readonly record struct BalanceAt(BalanceAtStatus Status, AccountBalances Balances, long ChangeIndex, long ChangeTimestampNs, ViewPosition View);
