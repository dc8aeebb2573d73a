using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>
/// Client of the wallet engine gateway. Thread-safe; meant to be long-lived and shared. Requests are pipelined
/// (up to the negotiated in-flight limit), concurrent <see cref="CreateTransferAsync"/> calls are coalesced
/// into batches, Busy is retried, Redirect is followed and a lost connection is re-established with every
/// unanswered request resubmitted under the same ids. See docs/client.md.
/// </summary>
public sealed partial class WalletClient : IAsyncDisposable
{
    private readonly WalletClientOptions _options;
    /// <summary>Guards every field below; never held across an await.</summary>
    private readonly object _gate = new();
    private readonly Queue<IPendingRequest> _queue = new();
    private readonly Queue<QueuedTransfer> _singles = new();
    private readonly Dictionary<ulong, IPendingRequest> _inFlight = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Timer _timer;
    private Connection? _connection;
    private SessionLimits _limits;
    private WalletEndpoint _endpoint;
    private Exception? _fatal;
    private bool _disposed;
    private ulong _lastCorrelationId;
    private Task _reconnect = Task.CompletedTask;
    private long _reconnectCount;
    private Exception? _lastConnectionError;

    private WalletClient(WalletClientOptions options, Connection connection)
    {
        _options = options;
        _connection = connection;
        _limits = connection.Limits;
        _endpoint = connection.Endpoint;
        // Pools bounded by the window and the in-flight cap: enough for a steady state, never a burst's worth pinned.
        _calls = new ObjectStack<TransferCall>(options.MaxPendingTransfers);
        _batches = new ObjectStack<CoalescedTransfersRequest>(options.MaxInFlight + 16);
        _largeBatches = new ObjectStack<CoalescedTransfersRequest>(MaxPooledLargeBatches);
        int tickMs = Math.Clamp(Math.Min(options.RequestTimeoutMs, connection.Limits.HeartbeatIntervalMs) / 4, 5, 250);
        _timer = new Timer(static s => ((WalletClient)s!).OnTick(), this, tickMs, tickMs);
    }

    /// <summary>Connects to the primary endpoint (then the seeds), logs on and starts the session.</summary>
    /// <exception cref="WalletLogonException">The gateway refused the logon.</exception>
    /// <exception cref="WalletConnectionException">No endpoint could be reached within the reconnect policy.</exception>
    public static async Task<WalletClient> ConnectAsync(WalletClientOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var primary = new WalletEndpoint(options.Host, options.Port);
        Connection connection = await EstablishAsync(options, primary, primary, ct).ConfigureAwait(false);
        var client = new WalletClient(options, connection);
        lock (client._gate)
        {
            client.Start(connection);
        }
        return client;
    }

    /// <summary>Limits of the current session (negotiated at the latest logon).</summary>
    public SessionLimits Limits
    {
        get { lock (_gate) { return _limits; } }
    }

    /// <summary>The gateway of the current (or latest) session.</summary>
    public WalletEndpoint Endpoint
    {
        get { lock (_gate) { return _endpoint; } }
    }

    /// <summary>Successful reconnects since the client was created.</summary>
    public long ReconnectCount => Interlocked.Read(ref _reconnectCount);

    /// <summary>Why the last connection was lost (protocol error, dead peer, redirect…), or null.</summary>
    public Exception? LastConnectionError
    {
        get { lock (_gate) { return _lastConnectionError; } }
    }

    /// <summary>Creates accounts; one result per account, in order.</summary>
    public Task<CreateResult[]> CreateAccountsAsync(ReadOnlyMemory<Account> accounts, CancellationToken ct = default) =>
        SubmitBatch(new CreateAccountsRequest(accounts, _options.RequestTimeoutMs), accounts.Length, FrameCodec.AccountEntryBytes, ct);

    /// <summary>Creates transfers as one batch (one message); one result per transfer, in order.</summary>
    public Task<CreateResult[]> CreateTransfersAsync(ReadOnlyMemory<Transfer> transfers, CancellationToken ct = default) =>
        SubmitBatch(new CreateTransfersRequest(transfers, _options.RequestTimeoutMs), transfers.Length, FrameCodec.TransferEntryBytes, ct);

    /// <summary>
    /// System role only: creates accounts that may carry system ids (a peer's saga sequencer creating one partition's
    /// clearing accounts) on <paramref name="partition"/>; every id must live there. One result per account, in order;
    /// <c>Exists</c> for an account already there. Same machinery as <see cref="SystemTransfersAsync"/>.
    /// </summary>
    public Task<CreateResult[]> SystemCreateAccountsAsync(int partition, ReadOnlyMemory<Account> accounts, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partition, ushort.MaxValue - 1);
        return SubmitBatch(new SystemCreateAccountsRequest((ushort)partition, accounts, _options.RequestTimeoutMs), accounts.Length,
            FrameCodec.AccountEntryBytes, ct, FrameCodec.SystemCreateAccountsRootExtraBytes);
    }

    /// <summary>
    /// Step transfers of a peer node's saga sequencer (needs a user of the system role), applied by partition
    /// <paramref name="partition"/> as one command: one result per transfer, in order. Unlike CreateTransfers they may
    /// name system ids (clearing accounts, step ids) and the system-only flags. Every account an item names must live on
    /// that partition (post/void steps name none, which is why the partition is given). Same machinery as
    /// <see cref="CreateTransfersAsync"/>: correlation, timeout, Busy retries, and resubmission after a redirect or a
    /// reconnect (an <c>Exists</c> answer to a resubmitted item then reads as Ok).
    /// </summary>
    public Task<CreateResult[]> SystemTransfersAsync(int partition, ReadOnlyMemory<Transfer> transfers, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partition, ushort.MaxValue - 1);
        return SubmitBatch(new SystemTransfersRequest((ushort)partition, transfers, _options.RequestTimeoutMs), transfers.Length,
            FrameCodec.TransferEntryBytes, ct, FrameCodec.SystemTransfersRootExtraBytes);
    }

    /// <summary>Closes accounts; one result per id, in order.</summary>
    public Task<CreateResult[]> CloseAccountsAsync(ReadOnlyMemory<UInt128> ids, CancellationToken ct = default) =>
        SubmitBatch(new CloseAccountsRequest(ids, _options.RequestTimeoutMs), ids.Length, FrameCodec.IdEntryBytes, ct);

    /// <summary>The accounts found, in request order; unknown ids are absent.</summary>
    public Task<Account[]> LookupAccountsAsync(ReadOnlyMemory<UInt128> ids, CancellationToken ct = default) =>
        SubmitBatch(new LookupAccountsRequest(ids, _options.RequestTimeoutMs), ids.Length, FrameCodec.IdEntryBytes, ct);

    /// <summary>The transfers found, in request order; unknown ids are absent.</summary>
    public Task<Transfer[]> LookupTransfersAsync(ReadOnlyMemory<UInt128> ids, CancellationToken ct = default) =>
        SubmitBatch(new LookupTransfersRequest(ids, _options.RequestTimeoutMs), ids.Length, FrameCodec.IdEntryBytes, ct);

    /// <summary>
    /// Peer role only (another node's gateway forwarding a transfer lookup, docs/gateway.md "Forwarding between nodes"):
    /// the transfers of <paramref name="partition"/> among <paramref name="ids"/>, in request order — answered only by
    /// that partition's leader (a Redirect to it is followed), so the answer is known to cover exactly that partition.
    /// </summary>
    public Task<Transfer[]> PeerLookupTransfersAsync(int partition, ReadOnlyMemory<UInt128> ids, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partition, ushort.MaxValue - 1);
        return SubmitBatch(new LookupTransfersRequest(ids, _options.RequestTimeoutMs, partition), ids.Length, FrameCodec.IdEntryBytes, ct,
            FrameCodec.PeerLookupTransfersRootExtraBytes);
    }

    /// <summary>
    /// One page of <paramref name="accountId"/>'s history from the node's read model (eventually consistent: the page
    /// says which log index the view has reached). Rejected with NotRunning by a node without a read model.
    /// </summary>
    public Task<HistoryPage> GetHistoryAsync(UInt128 accountId, HistoryQuery query = default, CancellationToken ct = default)
    {
        if (query.MaxRows == 0) query = query with { MaxRows = new HistoryQuery().MaxRows };
        ArgumentOutOfRangeException.ThrowIfLessThan(query.MaxRows, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.MaxRows, HistoryQuery.MaxRowsLimit, nameof(query));
        return SubmitBatch(new GetHistoryRequest(accountId, query, _options.RequestTimeoutMs), 1, FrameCodec.IdEntryBytes, ct);
    }

    /// <summary>
    /// <paramref name="accountId"/>'s balances as of log index <paramref name="atIndex"/> (inclusive), or — when it is 0 —
    /// as of <paramref name="atTimestampNs"/> (command time, inclusive), from the read model.
    /// </summary>
    public Task<BalanceAt> GetBalanceAtAsync(UInt128 accountId, long atIndex, long atTimestampNs = 0, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(atIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(atTimestampNs);
        if (atIndex == 0 && atTimestampNs == 0) throw new ArgumentException("give a log index or a timestamp", nameof(atIndex));
        return SubmitBatch(new GetBalanceAtRequest(accountId, atIndex, atTimestampNs, _options.RequestTimeoutMs), 1, FrameCodec.IdEntryBytes, ct);
    }

    private Task<T> SubmitBatch<T>(PendingRequest<T> request, int count, int entryBytes, CancellationToken ct, int rootExtraBytes = 0)
    {
        Connection? connection;
        lock (_gate)
        {
            Exception? unusable = UnusableReason();
            if (unusable is not null)
            {
                return Task.FromException<T>(unusable);
            }
            int max = _limits.MaxItemsPerMessage(entryBytes, rootExtraBytes);
            if (count == 0 || count > max)
            {
                throw new ArgumentOutOfRangeException(nameof(count), count,
                    $"a batch holds 1..{max} items on this session (maxBatchSize {_limits.MaxBatchSize}, maxFrameBytes {_limits.MaxFrameBytes})");
            }
            if (_queue.Count >= _options.MaxQueuedRequests)
            {
                return Task.FromException<T>(new WalletQueueFullException(
                    $"{_queue.Count} requests already queued (MaxQueuedRequests)"));
            }
            _queue.Enqueue(request);
            connection = _connection;
        }
        request.RegisterCancellation(ct);
        connection?.Signal.Set();
        return request.Task;
    }

    /// <summary>Call under the lock.</summary>
    private Exception? UnusableReason()
    {
        if (_disposed)
        {
            return new ObjectDisposedException(nameof(WalletClient));
        }
        return _fatal is null ? null : new WalletConnectionException("the client has no connection and gave up reconnecting: " + _fatal.Message, _fatal);
    }

    // Blocking conveniences for callers without async: each waits at most timeoutMs (default RequestTimeoutMs).

    public CreateResult[] CreateAccounts(ReadOnlyMemory<Account> accounts, int? timeoutMs = null) =>
        Wait(CreateAccountsAsync(accounts), timeoutMs);

    public CreateResult[] CreateTransfers(ReadOnlyMemory<Transfer> transfers, int? timeoutMs = null) =>
        Wait(CreateTransfersAsync(transfers), timeoutMs);

    public ResultCode CreateTransfer(in Transfer transfer, int? timeoutMs = null) =>
        Wait(CreateTransferAsync(in transfer), timeoutMs);

    public Account[] LookupAccounts(ReadOnlyMemory<UInt128> ids, int? timeoutMs = null) =>
        Wait(LookupAccountsAsync(ids), timeoutMs);

    public Transfer[] LookupTransfers(ReadOnlyMemory<UInt128> ids, int? timeoutMs = null) =>
        Wait(LookupTransfersAsync(ids), timeoutMs);

    private T Wait<T>(Task<T> task, int? timeoutMs)
    {
        int waitMs = timeoutMs ?? _options.RequestTimeoutMs;
        // No continuation of ours needs the blocked thread (all completions run asynchronously), so this cannot deadlock.
        bool done;
        try
        {
            done = task.Wait(waitMs);
        }
        catch (AggregateException)
        {
            done = true; // rethrown unwrapped below
        }
        if (!done)
        {
            throw new TimeoutException($"no answer within {waitMs} ms (the request stays pending until RequestTimeoutMs)");
        }
        return task.GetAwaiter().GetResult();
    }
}
