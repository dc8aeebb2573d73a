namespace Wallet.Engine.Ledger;

/// <summary>What to undo when a linked chain fails (recorded only while a chain is open).</summary>
internal enum UndoKind : byte
{
    AccountCreated = 1,
    AccountChanged = 2,
    TransferInserted = 3,
    PendingResolved = 4,
    DeferredFreePushed = 5,
}

internal struct UndoEntry
{
    public UndoKind Kind;
    public int Target;
    public Account PriorAccount;
}

internal enum BufferedEventKind : byte
{
    AccountCreated = 1,
    TransferPosted = 2,
    PendingCreated = 3,
    PendingPosted = 4,
    PendingVoided = 5,
}

/// <summary>An event held back until its linked chain commits (a failed chain must leave no trace).</summary>
internal struct BufferedEvent
{
    public BufferedEventKind Kind;
    public Transfer Transfer;
    public Transfer Pending;
    public Account First;
    public Account Second;
}
