namespace Wallet.Engine.Ledger;

/// <summary>
/// Receives every committed state change, in order, with the accounts' full state after the change (so a
/// read model can keep per-account history with running balances). Implement on a struct: the state machine
/// is generic over the sink so the JIT specialises and inlines the calls. Events of a linked chain are
/// delivered only once the whole chain has committed; a failed chain produces no events.
/// Arguments are references into engine storage valid only during the call: copy what you keep.
/// </summary>
public interface ILedgerEventSink
{
    void OnAccountCreated(in Account account);

    void OnAccountClosed(in Account account);

    /// <summary>A single-phase transfer moved <c>transfer.Amount</c> from debit to credit (posted balances).</summary>
    void OnTransferPosted(in Transfer transfer, in Account debitAfter, in Account creditAfter);

    /// <summary>A pending transfer reserved <c>transfer.Amount</c> (pending balances).</summary>
    void OnPendingCreated(in Transfer transfer, in Account debitAfter, in Account creditAfter);

    /// <summary><paramref name="post"/> (amount = posted part) resolved <paramref name="pending"/>; the remainder was released.</summary>
    void OnPendingPosted(in Transfer post, in Transfer pending, in Account debitAfter, in Account creditAfter);

    void OnPendingVoided(in Transfer voidTransfer, in Transfer pending, in Account debitAfter, in Account creditAfter);

    /// <summary>The hold's deadline passed in log time; <paramref name="expiredAtTimestamp"/> is the command's expiry instant.</summary>
    void OnPendingExpired(in Transfer pending, long expiredAtTimestamp, in Account debitAfter, in Account creditAfter);
}
