using System.Diagnostics;

namespace Wallet.Client;

public sealed partial class WalletClient
{
    private const int LogoutWaitMs = 200;

    private void Start(Connection connection)
    {
        connection.ReceiveLoop = Task.Run(() => ReceiveLoopAsync(connection));
        connection.SendLoop = Task.Run(() => SendLoopAsync(connection));
        connection.Signal.Set();
    }

    /// <summary>
    /// Connects and logs on: first <paramref name="first"/>, then the primary and seed endpoints in turn, with
    /// exponential back-off between attempts; a Redirect is followed at once (bounded by MaxRedirects).
    /// </summary>
    private static async Task<Connection> EstablishAsync(WalletClientOptions options, WalletEndpoint first,
        WalletEndpoint primary, CancellationToken ct, bool firstIsRedirect = false)
    {
        var endpoints = new List<WalletEndpoint> { primary };
        endpoints.AddRange(options.SeedEndpoints);
        int cursor = Math.Max(0, endpoints.IndexOf(first));
        WalletEndpoint target = first;
        int redirects = 0;
        int busyAnswers = 0;
        long firstBusyMs = 0;
        int attempt = 0;
        bool skipBackoff = firstIsRedirect;
        Exception? last = null;
        while (true)
        {
            if (attempt > 0 && !skipBackoff)
            {
                long backoffMs = Math.Min((long)options.ReconnectInitialBackoffMs << Math.Min(attempt - 1, 20), options.ReconnectMaxBackoffMs);
                await Task.Delay((int)backoffMs, ct).ConfigureAwait(false);
            }
            skipBackoff = false;
            try
            {
                return await Connection.OpenAsync(target, options, ct).ConfigureAwait(false);
            }
            catch (LeaderRedirectException redirect)
            {
                if (++redirects > options.MaxRedirects)
                {
                    throw new WalletConnectionException($"more than {options.MaxRedirects} redirects in a row (last to {redirect.Leader})", redirect);
                }
                target = redirect.Leader;
                skipBackoff = true;
                continue; // a redirect is an answer, not a failed attempt
            }
            catch (LogonBusyException busy)
            {
                // The node is up but knows no leader yet: ask it again after its hint. An answer, not a failed attempt;
                // an election may take a while, so this gives up only after BusyRetryLimit answers and ConnectTimeoutMs.
                if (busyAnswers++ == 0) firstBusyMs = Environment.TickCount64;
                if (busyAnswers > options.BusyRetryLimit && Environment.TickCount64 - firstBusyMs > options.ConnectTimeoutMs)
                {
                    throw new WalletConnectionException(
                        $"{target} answered the logon Busy {busyAnswers} times over {Environment.TickCount64 - firstBusyMs} ms (no leader elected)", busy);
                }
                int waitMs = (int)Math.Clamp(busy.RetryAfterMs, 1u, (uint)Math.Max(1, options.BusyRetryMaxDelayMs));
                await Task.Delay(waitMs, ct).ConfigureAwait(false);
                skipBackoff = true;
                continue;
            }
            catch (Exception e) when (e is not WalletLogonException && !ct.IsCancellationRequested)
            {
                last = e;
            }
            if (++attempt > options.ReconnectAttempts)
            {
                throw new WalletConnectionException(
                    $"could not connect and log on after {attempt} attempts (last endpoint {target}): {last.Message}", last);
            }
            cursor = (cursor + 1) % endpoints.Count;
            target = endpoints[cursor];
        }
    }

    /// <summary>
    /// Called by either loop when the connection fails (the first call wins). Every unanswered request goes back
    /// to the front of the queue, marked resubmitted, and a reconnect starts.
    /// </summary>
    private void OnConnectionLost(Connection connection, Exception error)
    {
        Exception reason = connection.AbortReason ?? error;
        lock (_gate)
        {
            if (connection.Lost)
            {
                return;
            }
            connection.Lost = true;
            if (_connection != connection)
            {
                return; // disposed, or already replaced
            }
            _connection = null;
            _lastConnectionError = reason;
            RequeueInFlight();
            if (!_disposed)
            {
                bool redirect = reason is LeaderRedirectException;
                WalletEndpoint next = reason is LeaderRedirectException r ? r.Leader : _endpoint;
                _reconnect = Task.Run(() => ReconnectAsync(next, redirect));
            }
        }
        connection.Abort(reason);
        _ = DisposeWhenStoppedAsync(connection);
    }

    /// <summary>Under the lock. Oldest correlation id first, ahead of requests never sent, so order is kept.</summary>
    private void RequeueInFlight()
    {
        if (_inFlight.Count == 0)
        {
            return;
        }
        var unanswered = new List<KeyValuePair<ulong, IPendingRequest>>(_inFlight);
        unanswered.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        _inFlight.Clear();
        var rest = _queue.ToArray();
        _queue.Clear();
        foreach (KeyValuePair<ulong, IPendingRequest> entry in unanswered)
        {
            entry.Value.Resubmitted = true;
            _queue.Enqueue(entry.Value);
        }
        foreach (IPendingRequest request in rest)
        {
            _queue.Enqueue(request);
        }
    }

    private static async Task DisposeWhenStoppedAsync(Connection connection)
    {
        try
        {
            await Task.WhenAll(connection.ReceiveLoop, connection.SendLoop).ConfigureAwait(false);
        }
        finally
        {
            connection.Dispose();
        }
    }

    private async Task ReconnectAsync(WalletEndpoint next, bool redirect)
    {
        WalletEndpoint primary = new(_options.Host, _options.Port);
        try
        {
            Connection connection = await EstablishAsync(_options, next, primary, _shutdown.Token, redirect).ConfigureAwait(false);
            lock (_gate)
            {
                if (_disposed)
                {
                    connection.Dispose();
                    return;
                }
                _connection = connection;
                _limits = connection.Limits;
                _endpoint = connection.Endpoint;
                Interlocked.Increment(ref _reconnectCount);
                Start(connection);
            }
        }
        catch (Exception e)
        {
            List<IPendingRequest> failed;
            List<QueuedTransfer> singles;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }
                _fatal = e is OperationCanceledException ? new ObjectDisposedException(nameof(WalletClient)) : e;
                (failed, singles) = DrainAll();
            }
            Exception error = e is WalletLogonException ? e : new WalletConnectionException("connection lost and not re-established: " + e.Message, e);
            FailAll(failed, singles, error);
        }
    }

    /// <summary>Under the lock: empties every queue and returns what was in them.</summary>
    private (List<IPendingRequest>, List<QueuedTransfer>) DrainAll()
    {
        var requests = new List<IPendingRequest>(_inFlight.Values);
        requests.AddRange(_queue);
        _inFlight.Clear();
        _queue.Clear();
        var singles = new List<QueuedTransfer>(_singles);
        _singles.Clear();
        return (requests, singles);
    }

    private static void FailAll(List<IPendingRequest> requests, List<QueuedTransfer> singles, Exception error)
    {
        foreach (IPendingRequest request in requests)
        {
            request.Fail(error);
        }
        foreach (QueuedTransfer single in singles)
        {
            single.Call.TryFail(single.Ticket, error);
        }
    }

    /// <summary>Periodic: request deadlines and the dead-connection check (no per-request timers).</summary>
    private void OnTick()
    {
        long now = Stopwatch.GetTimestamp();
        List<IPendingRequest>? expired = null;
        List<QueuedTransfer>? expiredSingles = null;
        Connection? dead = null;
        long silentMs = 0;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            Connection? connection = _connection;
            if (connection is not null)
            {
                long lastReceive = connection.Reader.LastReceiveTimestamp;
                silentMs = (now - lastReceive) * 1000 / Stopwatch.Frequency;
                // Silence is judged by what arrived, not by what the receive loop got round to: unread bytes in the
                // socket mean the gateway is alive and this process is behind (a blocking handler, thread-pool starvation).
                // Confirmed on a second tick with the receive clock unchanged: a receive that has just emptied the socket
                // but not yet stamped the clock (its thread preempted between the two) looks silent for a moment.
                if (silentMs > (long)connection.Limits.HeartbeatIntervalMs * _options.DeadAfterMissedHeartbeats && !connection.HasUnreadBytes)
                {
                    if (connection.SilenceSuspectedAt == lastReceive)
                    {
                        dead = connection;
                    }
                    connection.SilenceSuspectedAt = lastReceive;
                }
                else
                {
                    connection.SilenceSuspectedAt = 0;
                }
            }
            List<ulong>? remove = null;
            foreach (KeyValuePair<ulong, IPendingRequest> entry in _inFlight)
            {
                if (entry.Value.IsFinished || now >= entry.Value.DeadlineTimestamp)
                {
                    (remove ??= []).Add(entry.Key);
                }
            }
            if (remove is not null)
            {
                foreach (ulong id in remove)
                {
                    _inFlight.Remove(id, out IPendingRequest? request);
                    if (!request!.IsFinished)
                    {
                        (expired ??= []).Add(request);
                    }
                }
                connection?.Signal.Set();
            }
            foreach (IPendingRequest request in _queue)
            {
                if (!request.IsFinished && now >= request.DeadlineTimestamp)
                {
                    (expired ??= []).Add(request); // left in the queue; skipped when sending
                }
            }
            // Singles share one timeout and are queued in arrival order: only the front can be due.
            while (_singles.TryPeek(out QueuedTransfer single) && (!single.IsPending || now >= single.Call.DeadlineTimestamp))
            {
                _singles.Dequeue();
                if (single.IsPending)
                {
                    (expiredSingles ??= []).Add(single);
                }
            }
        }
        if (expired is not null)
        {
            foreach (IPendingRequest request in expired)
            {
                request.Fail(new TimeoutException(
                    $"{request.Kind} request (correlation id {request.CorrelationId}) got no answer within {_options.RequestTimeoutMs} ms"));
            }
        }
        if (expiredSingles is not null)
        {
            foreach (QueuedTransfer single in expiredSingles)
            {
                single.Call.TryFail(single.Ticket, new TimeoutException($"transfer was not sent within {_options.RequestTimeoutMs} ms"));
            }
        }
        dead?.Abort(new WalletConnectionException($"no frame from {dead.Endpoint} for {silentMs} ms (heartbeat {dead.Limits.HeartbeatIntervalMs} ms)"));
    }

    /// <summary>
    /// Stops the session (Logout when possible) and fails every pending call with ObjectDisposedException.
    /// A request that was already sent may still be applied by the ledger.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Connection? connection;
        List<IPendingRequest> requests;
        List<QueuedTransfer> singles;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            connection = _connection;
            _connection = null;
            (requests, singles) = DrainAll();
        }
        await _timer.DisposeAsync().ConfigureAwait(false);
        await _shutdown.CancelAsync().ConfigureAwait(false);
        FailAll(requests, singles, new ObjectDisposedException(nameof(WalletClient), "the client was disposed with this request pending"));
        if (connection is not null)
        {
            // The send loop is the only writer: it sends the Logout and stops; bounded wait, best effort.
            connection.RequestLogout();
            await Task.WhenAny(connection.SendLoop, Task.Delay(LogoutWaitMs)).ConfigureAwait(false);
            connection.Abort(new ObjectDisposedException(nameof(WalletClient)));
            await WaitQuietly(Task.WhenAll(connection.ReceiveLoop, connection.SendLoop)).ConfigureAwait(false);
            connection.Dispose();
        }
        await WaitQuietly(_reconnect).ConfigureAwait(false);
        _shutdown.Dispose();
    }

    private static async Task WaitQuietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Loop failures were already reported through OnConnectionLost.
        }
    }
}
