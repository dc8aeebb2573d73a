using System.Runtime.InteropServices;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Routing;

namespace Wallet.Host.Cluster;

/// <summary>
/// This node's session to one other node's SBE gateway, over which items of its clients' requests are forwarded there
/// (<see cref="PeerForwarder"/>): a client SDK connection logged on as the peer-role user, opened at the first forward and
/// again after it fails. Bounded: at most MaxInFlight forwarded requests await an answer; beyond, the caller answers
/// Busy. Every outcome maps to one completion call:
/// <list type="bullet">
/// <item>answered → the peer's per-item codes (or found accounts) with its receipt (log index, ledger timestamp);</item>
/// <item>never sent (no connection), Busy after the client's retries, or refused whole (Reject) → not taken,
/// <see cref="ResultCode.PartitionUnavailable"/> per item: nothing applied, resubmit;</item>
/// <item>sent and then lost (connection gone for good, timeout) → outcome unknown: the client is told to resubmit with
/// the same ids, as after a leader change (idempotency settles what did apply).</item>
/// </list>
/// The client SDK underneath resubmits over a new connection, follows a Redirect when leadership moved, and answers a
/// repeat of an applied item Ok (<see cref="WalletClientOptions.ResubmittedExistsAsOk"/>).
/// </summary>
internal sealed class ForwardLink : IAsyncDisposable
{
    /// <summary>After a failed connect, forwards fail fast (not taken) for this long instead of each trying again.</summary>
    public const int ReconnectBackoffMs = 250;

    private readonly WalletClientOptions _options;
    private readonly int _maxInFlight;
    private readonly object _gate = new();
    private Task<WalletClient>? _connecting;
    private long _nextAttemptMs;
    private int _inFlight;
    private long _forwarded;
    private long _failures;
    private volatile string? _lastError;
    private volatile bool _disposed;

    public ForwardLink(WalletClientOptions options, int maxInFlight)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _options = options;
        _maxInFlight = maxInFlight;
    }

    /// <summary>Requests forwarded over this link so far.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Forwards that failed (no connection, lost connection, timeout): answered not taken or unknown.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public string? LastError => _lastError;

    /// <summary>Gateway receive loop: copies the items and sends them asynchronously; false when too many are in flight.</summary>
    public bool TryForward(ushort kind, ReadOnlySpan<byte> payload, int count, IForwardCompletion completion)
    {
        if (_disposed) return false;
        if (Interlocked.Increment(ref _inFlight) > _maxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }
        // One array per forwarded request: the cross-node path, not the partition hot path.
        object items = kind switch
        {
            (ushort)CommandKind.CreateTransfers => MemoryMarshal.Cast<byte, Transfer>(payload)[..count].ToArray(),
            (ushort)CommandKind.CreateAccounts => MemoryMarshal.Cast<byte, Account>(payload)[..count].ToArray(),
            _ => MemoryMarshal.Cast<byte, UInt128>(payload)[..count].ToArray(),
        };
        Interlocked.Increment(ref _forwarded);
        _ = SendAsync(kind, items, completion);
        return true;
    }

    /// <summary>Gateway thread: a transfer lookup of one partition, asked of its leader (PeerLookupTransfers); false when too many are in flight.</summary>
    public bool TryForwardTransferLookup(int partition, ReadOnlySpan<UInt128> ids, ITransferLookupCompletion completion)
    {
        if (_disposed) return false;
        if (Interlocked.Increment(ref _inFlight) > _maxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }
        Interlocked.Increment(ref _forwarded);
        _ = LookupAsync(partition, ids.ToArray(), completion);
        return true;
    }

    private Task<WalletClient> ConnectionAsync()
    {
        lock (_gate)
        {
            if (_connecting is { IsFaulted: false, IsCanceled: false }) return _connecting;
            if (_connecting is not null && Environment.TickCount64 < _nextAttemptMs) return _connecting; // the failed one: fail fast
            _connecting = WalletClient.ConnectAsync(_options);
            return _connecting;
        }
    }

#pragma warning disable CA1031 // a forward must always complete: every failure is counted and answered
    private async Task SendAsync(ushort kind, object items, IForwardCompletion completion)
    {
        bool handedOff = false; // a single transfer's handler frees the in-flight slot itself
        try
        {
            WalletClient? client = await ConnectedAsync().ConfigureAwait(false);
            if (client is null)
            {
                completion.OnNotTaken(ResultCode.PartitionUnavailable); // never sent
                return;
            }
            if (items is Transfer[] { Length: 1 } single && (single[0].Flags & TransferFlags.Linked) == 0)
            {
                // One transfer (a client's single transfer led elsewhere, the common case): the SDK's coalesced
                // single-transfer path, so concurrent forwards to one node share messages. A Linked one (a chain left
                // open: answered LinkedEventChainOpen) must travel alone, as a batch.
                TransferSubmitStatus status = client.TrySubmitTransfer(in single[0], new ForwardedTransfer(this, client, completion), 0);
                if (status == TransferSubmitStatus.Submitted)
                {
                    handedOff = true;
                    return;
                }
                // Never sent: the link's client is full, or unusable (then replaced at the next forward).
                Fail(new WalletQueueFullException($"forward not sent: {status}"),
                    status is TransferSubmitStatus.Disposed or TransferSubmitStatus.ConnectionFailed ? client : null);
                completion.OnNotTaken(ResultCode.PartitionUnavailable);
                return;
            }
            try
            {
                switch (items)
                {
                    case Transfer[] transfers:
                        Answer(completion, await client.CreateTransfersWithReceiptAsync(transfers).ConfigureAwait(false));
                        break;
                    case Account[] accounts:
                        Answer(completion, await client.CreateAccountsWithReceiptAsync(accounts).ConfigureAwait(false));
                        break;
                    case UInt128[] ids when kind == (ushort)CommandKind.CloseAccounts:
                        Answer(completion, await client.CloseAccountsWithReceiptAsync(ids).ConfigureAwait(false));
                        break;
                    case UInt128[] ids:
                        Receipt<Account[]> found = await client.LookupAccountsWithReceiptAsync(ids).ConfigureAwait(false);
                        completion.OnFound(found.Value, found.LogIndex);
                        break;
                }
            }
            catch (Exception ex)
            {
                OnFailed(ex, client, completion);
            }
        }
        finally
        {
            if (!handedOff) Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>A forward the peer did not answer: not taken (nothing applied) or outcome unknown, by the exception.</summary>
    internal void OnFailed(Exception ex, WalletClient client, IForwardCompletion completion)
    {
        if (ex is WalletBusyException or WalletRejectedException or WalletQueueFullException or ArgumentOutOfRangeException)
        {
            // Refused whole by the peer (its partition full, or a refusal such as too many in flight), or never sent
            // (the link's own queue full; more items than the peer's session takes — nodes configured differently):
            // nothing applied.
            Fail(ex, dead: null);
            completion.OnNotTaken(ResultCode.PartitionUnavailable);
            return;
        }
        FailSent(ex, client);
        completion.OnOutcomeUnknown();
    }

    /// <summary>A single forwarded transfer's handler is done: its in-flight slot is free.</summary>
    internal void OnSingleDone() => Interlocked.Decrement(ref _inFlight);

    /// <summary>The link's client, connecting if needed; null (failure counted, the next attempt backed off) when it cannot connect.</summary>
    private async Task<WalletClient?> ConnectedAsync()
    {
        try
        {
            return await ConnectionAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(ex, dead: null);
            lock (_gate) _nextAttemptMs = Environment.TickCount64 + ReconnectBackoffMs;
            return null;
        }
    }

    private void FailSent(Exception ex, WalletClient client) => Fail(ex, ex is WalletConnectionException or ObjectDisposedException ? client : null);

    private async Task LookupAsync(int partition, UInt128[] ids, ITransferLookupCompletion completion)
    {
        try
        {
            WalletClient? client = await ConnectedAsync().ConfigureAwait(false);
            if (client is null)
            {
                completion.OnUnanswered();
                return;
            }
            try
            {
                Receipt<Transfer[]> found = await client.PeerLookupTransfersWithReceiptAsync(partition, ids).ConfigureAwait(false);
                completion.OnFound(found.Value, found.LogIndex);
            }
            catch (Exception ex)
            {
                // A read: whatever went wrong, the client asks again (nothing to settle).
                FailSent(ex, client);
                completion.OnUnanswered();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
#pragma warning restore CA1031

    private static void Answer(IForwardCompletion completion, Receipt<CreateResult[]> answer)
    {
        // The SDK decodes one result per item, in item order.
        CreateResult[] results = answer.Value;
        Span<ResultCode> codes = results.Length <= 1024 ? stackalloc ResultCode[results.Length] : new ResultCode[results.Length];
        for (int i = 0; i < results.Length; i++) codes[i] = results[i].Code;
        completion.OnResults(codes, answer.LogIndex, answer.TimestampNs);
    }

    /// <summary>Counts a failure; <paramref name="dead"/>: a client that gave up on its connection (reconnects exhausted).</summary>
    private void Fail(Exception ex, WalletClient? dead)
    {
        Interlocked.Increment(ref _failures);
        _lastError = $"{ex.GetType().Name}: {ex.Message}";
        if (dead is null) return;
        lock (_gate)
        {
            // The next forward opens a new connection; the dead client is released once (other forwards may fail on it too).
            if (_connecting is not { IsCompletedSuccessfully: true } current || !ReferenceEquals(current.Result, dead)) return;
            _connecting = null;
        }
        _ = dead.DisposeAsync().AsTask();
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        Task<WalletClient>? connecting;
        lock (_gate)
        {
            connecting = _connecting;
            _connecting = null;
        }
        if (connecting is { IsCompletedSuccessfully: true }) await connecting.Result.DisposeAsync().ConfigureAwait(false);
    }
}
