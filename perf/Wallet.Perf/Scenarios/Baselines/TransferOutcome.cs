namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>What a baseline database answered for one transfer.</summary>
internal enum TransferOutcome
{
    /// <summary>Debited, credited and recorded in one transaction.</summary>
    Applied,

    /// <summary>The transfer id was already recorded: the idempotent repeat, nothing changed.</summary>
    Duplicate,

    /// <summary>The debit account's balance was below the amount: nothing changed.</summary>
    InsufficientFunds,
}
