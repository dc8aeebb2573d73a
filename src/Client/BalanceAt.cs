namespace Wallet.Client;

/// <summary>How a point-in-time balance read ended.</summary>
public enum BalanceAtStatus : byte
{
    /// <summary>The balances below are the account's as of the target.</summary>
    Found = 0,
    /// <summary>The account did not exist at the target.</summary>
    NotExisting = 1,
    /// <summary>The read model has not reached the target index yet; retry later (see <see cref="BalanceAt.ViewIndex"/>).</summary>
    ViewBehind = 2,
}

/// <summary>
/// An account's balances as of a log index or a time, from the read model at <see cref="ViewIndex"/> (the same answer a
/// replay of the journal gives). <see cref="ChangeIndex"/> is the last change at or before the target.
/// </summary>
public sealed record BalanceAt(
    BalanceAtStatus Status,
    long ViewIndex,
    long ViewTimestampNs,
    long ChangeIndex,
    long ChangeTimestampNs,
    long DebitsPending,
    long DebitsPosted,
    long CreditsPending,
    long CreditsPosted);
