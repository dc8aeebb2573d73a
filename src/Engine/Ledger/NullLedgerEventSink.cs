namespace Wallet.Engine.Ledger;

/// <summary>Discards all events (replay to rebuild state, benchmarks).</summary>
public struct NullLedgerEventSink : ILedgerEventSink
{
    public readonly void OnAccountCreated(in Account account) { }
    public readonly void OnAccountClosed(in Account account) { }
    public readonly void OnTransferPosted(in Transfer transfer, in Account debitAfter, in Account creditAfter) { }
    public readonly void OnPendingCreated(in Transfer transfer, in Account debitAfter, in Account creditAfter) { }
    public readonly void OnPendingPosted(in Transfer post, in Transfer pending, in Account debitAfter, in Account creditAfter) { }
    public readonly void OnPendingVoided(in Transfer voidTransfer, in Transfer pending, in Account debitAfter, in Account creditAfter) { }
    public readonly void OnPendingExpired(in Transfer pending, long expiredAtTimestamp, in Account debitAfter, in Account creditAfter) { }
}
