namespace Wallet.Client;

/// <summary>
/// A reference to one use of a pooled <see cref="TransferCall"/>: the ticket it had when it was armed. Queues and
/// batches hold these, so a call that completed early (cancelled, timed out) and was reused for another transfer is
/// never completed twice or with someone else's result.
/// </summary>
internal readonly record struct QueuedTransfer(TransferCall Call, int Ticket)
{
    public bool IsPending => Call.IsPending(Ticket);
}
