namespace Wallet.Client;

/// <summary>
/// A reference to one use of a pooled <see cref="TransferCall"/>: the ticket it had when it was armed. Queues and
/// batches hold these, so a call that completed early (cancelled, timed out) and was reused for another transfer is
/// never completed twice or with someone else's result.
/// </summary>
/// <param name="Call">The pooled call.</param>
/// <param name="Ticket">The call's ticket for this use.</param>
/// <param name="SentBefore">
/// The transfer went out before in a message whose outcome this client may not have learnt (a resubmitted message whose
/// item the gateway answered PartitionUnavailable): an <c>Exists</c> for it then means its earlier copy applied — Ok.
/// </param>
internal readonly record struct QueuedTransfer(TransferCall Call, int Ticket, bool SentBefore = false)
{
    public bool IsPending => Call.IsPending(Ticket);
}
