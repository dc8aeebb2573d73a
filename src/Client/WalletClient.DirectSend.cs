using System.Net.Sockets;

namespace Wallet.Client;

/// <summary>
/// The direct path of single transfers: on an idle connection the submitting thread writes the transfer's frame itself,
/// with one non-blocking send — no send-loop wake-up (a thread-pool hop and a context switch per transfer). The mirror of
/// the gateway's direct answer flush. Order and the one-writer rule are kept by <see cref="ConnectionWriter"/>.
/// </summary>
public sealed partial class WalletClient
{
    private long _directSends;
    private long _directHandOvers;

    /// <summary>
    /// Single transfers written by their caller's thread (the direct path) rather than by the send loop, and how many of
    /// those the socket did not take whole (the send loop finished them).
    /// </summary>
    internal (long Sends, long HandOvers) DirectSendStats => (Interlocked.Read(ref _directSends), Interlocked.Read(ref _directHandOvers));

    /// <summary>Tests: shuts the current connection's sending direction, so that its next send fails (a broken socket).</summary>
    internal void ShutdownSendForTest()
    {
        lock (_gate)
        {
            _connection?.ShutdownSend();
        }
    }

    /// <summary>
    /// Under the lock: the transfer goes direct when the connection is logged on and idle — no request or single transfer
    /// queued before it (so order is kept), fewer than <see cref="WalletClientOptions.DirectSendMaxInFlight"/> requests in
    /// flight (by default none: under load transfers are coalesced by the send loop instead, one frame for many), and
    /// nobody writing (the send loop or another direct sender). It then takes the slot and the correlation id exactly as
    /// the send loop's gathering would.
    /// </summary>
    private DirectClaim TryClaimDirect(Connection? connection, QueuedTransfer queued)
    {
        if (!_options.DirectSend || connection is null || _queue.Count > 0 || _singles.Count > 0
            || _inFlight.Count >= Math.Min(connection.Limits.MaxInFlight, _options.DirectSendMaxInFlight) || connection.LogoutRequested)
        {
            return default;
        }
        if (!connection.Writer.TryTakeForDirect())
        {
            return default;
        }
        CoalescedTransfersRequest batch = RentBatch(1);
        batch.Add(queued);
        return new DirectClaim(batch, Track(batch));
    }

    /// <summary>Outside the lock, after submission: writes a direct claim's frame, or wakes the send loop for a queued transfer.</summary>
    private void SendOrSignal(Connection? connection, DirectClaim direct)
    {
        if (direct.Batch is null)
        {
            connection?.Signal.Set();
            return;
        }
        SendDirect(connection!, direct.Batch, direct.CorrelationId);
    }

    /// <summary>
    /// Encodes the one-item frame into the connection's preallocated buffer and sends it with one non-blocking call. A
    /// partial send is finished by the send loop before its next frame. A failure is handled as a lost connection — like
    /// a send-loop failure: the transfer is in flight, so it is resubmitted on the next connection — and never thrown.
    /// </summary>
    private void SendDirect(Connection connection, CoalescedTransfersRequest batch, ulong correlationId)
    {
        int length = batch.Encode(connection.Writer.DirectFrame, correlationId);
        // Counted before the write: the answer can complete the caller before this method returns.
        Interlocked.Increment(ref _directSends);
        Interlocked.Increment(ref _requestWrites);
        Interlocked.Increment(ref _requestFramesWritten);
        switch (connection.SendDirect(length, out SocketError error))
        {
            case DirectSendOutcome.HandedOver:
                Interlocked.Increment(ref _directHandOvers);
                break;
            case DirectSendOutcome.Failed:
                OnConnectionLost(connection, new SocketException((int)error));
                break;
        }
    }
}
