using Wallet.Protocol.Sbe;

namespace Wallet.Client;

public sealed partial class WalletClient
{
    /// <summary>The connection's only reader: decodes each frame and completes, retries or fails its request.</summary>
    private async Task ReceiveLoopAsync(Connection connection)
    {
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> frame = await connection.Reader.ReadFrameAsync(connection.Stopping).ConfigureAwait(false);
                try
                {
                    Dispatch(connection, frame.Span);
                }
                catch (ArgumentOutOfRangeException e)
                {
                    // A decoder sliced past the frame: the gateway's lengths lie.
                    throw new WalletProtocolException("truncated or inconsistent message from the gateway", e);
                }
            }
        }
        catch (Exception e)
        {
            OnConnectionLost(connection, e);
        }
    }

    private void Dispatch(Connection connection, ReadOnlySpan<byte> sbe)
    {
        ushort template = InboundFrame.TemplateId(sbe);
        switch (template)
        {
            case CreateResultsDecoder.TemplateId:
            case AccountsFoundDecoder.TemplateId:
            case TransfersFoundDecoder.TemplateId:
            case HistoryPageDecoder.TemplateId:
            case BalanceAtDecoder.TemplateId:
                OnAnswer(connection, template, sbe);
                break;
            case BusyDecoder.TemplateId:
                OnBusy(connection, sbe);
                break;
            case RejectDecoder.TemplateId:
                OnReject(connection, sbe);
                break;
            case RedirectDecoder.TemplateId:
                throw LeaderRedirectException.FromFrame(sbe);
            case HeartbeatDecoder.TemplateId:
                break; // liveness only: the reader already noted the bytes
            case LogoutDecoder.TemplateId:
                throw ControlMessages.ReadLogout(sbe);
            default:
                throw new WalletProtocolException($"unexpected message template {template} on a logged-on session");
        }
    }

    private IPendingRequest? TakeInFlight(Connection connection, ulong correlationId)
    {
        lock (_gate)
        {
            if (_connection != connection || !_inFlight.Remove(correlationId, out IPendingRequest? request))
            {
                return null;
            }
            if (_queue.Count > 0 || _singles.Count > 0)
            {
                connection.Signal.Set(); // a slot is free for queued work (no wake-up per answer on an idle connection)
            }
            return request;
        }
    }

    private void OnAnswer(Connection connection, ushort template, ReadOnlySpan<byte> sbe)
    {
        ulong correlationId = InboundFrame.CorrelationId(sbe, "answer");
        IPendingRequest? request = TakeInFlight(connection, correlationId);
        if (request is null)
        {
            return; // answer to a request that already timed out or was cancelled
        }
        try
        {
            request.Complete(template, sbe, _options.ResubmittedExistsAsOk && request.Resubmitted);
        }
        catch (Exception e) when (e is WalletProtocolException or ArgumentOutOfRangeException)
        {
            // The request was answered, but unreadably: fail it rather than resend (the outcome is in the ledger).
            var error = e as WalletProtocolException ?? new WalletProtocolException("truncated answer", e);
            request.Fail(error);
            throw error;
        }
        if (request is IResendingRequest { NeedsResend: true } partial)
        {
            // Some items' partition was unavailable (nothing applied for them): the same request, carrying only those
            // items now, goes back to the queue after a pause, as a whole request does after Busy.
            partial.NeedsResend = false;
            _ = RequeueAfterAsync(request, Math.Min(UnavailableRetryDelayMs, _options.BusyRetryMaxDelayMs));
            return;
        }
        if (request is CoalescedTransfersRequest batch)
        {
            if (batch.Unavailable is { } again)
            {
                batch.Unavailable = null;
                _ = RequeueUnavailableAsync(again);
            }
            // Taken out of the in-flight map and answered: this loop is its only owner now.
            ReturnBatch(batch);
        }
    }

    /// <summary>Pause before a single transfer answered PartitionUnavailable is sent again (bounded by BusyRetryMaxDelayMs).</summary>
    internal const int UnavailableRetryDelayMs = 5;

    /// <summary>
    /// Single transfers of a coalesced message that a multi-partition gateway answered <c>PartitionUnavailable</c>: their
    /// partition's ring was full when the gateway split the message (docs/gateway.md), so nothing was applied for them.
    /// They go back to the single-transfer queue after a short pause and are sent again in a later message, as a whole
    /// message is after Busy; each call's own deadline (RequestTimeoutMs) bounds the retries.
    /// </summary>
    private Task RequeueUnavailableAsync(List<QueuedTransfer> calls) =>
        RequeueAfterAsync(Math.Min(UnavailableRetryDelayMs, _options.BusyRetryMaxDelayMs), "resend",
            () =>
            {
                foreach (QueuedTransfer c in calls) _singles.Enqueue(c); // may exceed MaxQueuedSingleTransfers by these few
            },
            error =>
            {
                foreach (QueuedTransfer c in calls) c.Call.TryFail(c.Ticket, error);
            });

    private void OnBusy(Connection connection, ReadOnlySpan<byte> sbe)
    {
        ControlMessages.ReadBusy(sbe, out ulong correlationId, out uint retryAfterMs);
        IPendingRequest? request = TakeInFlight(connection, correlationId);
        if (request is null)
        {
            return;
        }
        request.BusyAttempts++;
        if (request.BusyAttempts > _options.BusyRetryLimit)
        {
            request.Fail(new WalletBusyException(correlationId, request.BusyAttempts, retryAfterMs));
            return;
        }
        int delayMs = (int)Math.Min(retryAfterMs, (uint)_options.BusyRetryMaxDelayMs);
        _ = RequeueAfterAsync(request, delayMs);
    }

    /// <summary>Busy means nothing was queued: the same request goes back to the queue after the delay.</summary>
    private Task RequeueAfterAsync(IPendingRequest request, int delayMs) =>
        RequeueAfterAsync(delayMs, "retry after Busy",
            () => _queue.Enqueue(request), // may exceed MaxQueuedRequests by the few requests in Busy back-off
            request.Fail);

    /// <summary>
    /// After <paramref name="delayMs"/>: puts work back in a queue (<paramref name="enqueue"/>, under the client lock) and
    /// wakes the send loop; or fails it (<paramref name="fail"/>, outside the lock: a completion may run a caller's
    /// handler inline) when the client was disposed meanwhile or is unusable. The rare paths (Busy, PartitionUnavailable).
    /// </summary>
    private async Task RequeueAfterAsync(int delayMs, string waitingTo, Action enqueue, Action<Exception> fail)
    {
        try
        {
            await Task.Delay(delayMs, _shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            fail(new ObjectDisposedException(nameof(WalletClient), "disposed while waiting to " + waitingTo));
            return;
        }
        Connection? connection;
        Exception? unusable;
        lock (_gate)
        {
            unusable = UnusableReason();
            if (unusable is null)
            {
                enqueue();
            }
            connection = _connection;
        }
        if (unusable is not null)
        {
            fail(unusable);
            return;
        }
        connection?.Signal.Set();
    }

    private void OnReject(Connection connection, ReadOnlySpan<byte> sbe)
    {
        WalletRejectedException error = ControlMessages.ReadReject(sbe);
        ulong correlationId = error.CorrelationId;
        if (correlationId == 0)
        {
            // The gateway could not read a frame of ours far enough to name it: the stream is suspect.
            throw error;
        }
        TakeInFlight(connection, correlationId)?.Fail(error);
    }
}
