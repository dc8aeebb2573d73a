namespace Wallet.Engine.Ledger;

/// <summary>Account flags (wire value, ushort at offset 90 of <see cref="Account"/>). Unknown bits are rejected.</summary>
[Flags]
public enum AccountFlags : ushort
{
    None = 0,
    /// <summary>Chains this create-account item with the next item of the batch (all-or-nothing).</summary>
    Linked = 1 << 0,
    /// <summary>debits_pending + debits_posted must stay ≤ credits_posted (a customer wallet: no overdraft).</summary>
    DebitsMustNotExceedCredits = 1 << 1,
    /// <summary>credits_pending + credits_posted must stay ≤ debits_posted.</summary>
    CreditsMustNotExceedDebits = 1 << 2,
    /// <summary>Ask the read model to keep per-account history. No effect inside the state machine.</summary>
    History = 1 << 3,
    /// <summary>Set by <see cref="CommandKind.CloseAccounts"/> only; refused on create.</summary>
    Closed = 1 << 4,
}
