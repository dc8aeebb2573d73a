namespace Wallet.Engine.Partition;

/// <summary>Kinds of entries in the event journal (wire values, never renumber).</summary>
public enum LedgerEventKind : ushort
{
    AccountCreated = 1,
    AccountClosed = 2,
    TransferPosted = 3,
    PendingCreated = 4,
    PendingPosted = 5,
    PendingVoided = 6,
    PendingExpired = 7,
}
