using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Saga.Replicated;

namespace Wallet.Host.Sagas;

/// <summary>
/// Steps for one partition whose leader is on another node: a System session (SBE, <c>SystemTransfers</c>) to the
/// cluster's gateways, which the client SDK moves to the partition's leader on Redirect. Sends are asynchronous and
/// bounded (<see cref="MaxInFlight"/> commands); answers go to the replica as they come. Before its first step the link
/// creates the partition's clearing accounts (<c>SystemCreateAccounts</c>) and waits for the leader's answer: once
/// answered they are committed in the partition's log, so no later step can overtake them. Any failure (connection,
/// timeout, redirect limit) drops the connection and backs off; the replica resends unanswered steps with the same ids.
/// </summary>
internal sealed class RemoteStepLink : IAsyncDisposable
{
    /// <summary>Commands on the wire at once (each up to the transport's MaxStepsPerSend steps).</summary>
    public const int MaxInFlight = 32;
    private const int ReconnectBackoffMs = 250;

    private readonly int _partition;
    private readonly WalletClientOptions _options;
    private readonly object _gate = new();
    private WalletClient? _client;
    private Task? _connecting;
    private long _nextAttemptMs;
    private volatile bool _cleared;
    private int _inFlight;
    private long _failures;
    private volatile string? _lastError;

    public RemoteStepLink(int partition, WalletClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _partition = partition;
        _options = options;
    }

    /// <summary>Sends that failed (connection, timeout, redirect limit); their steps were resent by the replica.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public string? LastError => _lastError;

    /// <summary>Replica thread: false when not connected yet (a connect starts) or too much is in flight.</summary>
    public bool TrySend(ReadOnlySpan<Transfer> steps, Account[] clearing, ISagaStepAnswers answers)
    {
        WalletClient? client = Volatile.Read(ref _client);
        if (client is null || !_cleared)
        {
            StartConnect(clearing);
            return false;
        }
        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }
        _ = SendAsync(client, steps.ToArray(), answers); // one array per command: the cross-partition path, not the partition hot path
        return true;
    }

    private void StartConnect(Account[] clearing)
    {
        lock (_gate)
        {
            if (_connecting is { IsCompleted: false } || Environment.TickCount64 < _nextAttemptMs) return;
            _connecting = ConnectAsync(clearing);
        }
    }

#pragma warning disable CA1031 // a link must never take the replica down: every failure is counted, logged and retried
    private async Task ConnectAsync(Account[] clearing)
    {
        WalletClient? client = null;
        try
        {
            client = await WalletClient.ConnectAsync(_options).ConfigureAwait(false);
            if (!_cleared)
            {
                CreateResult[] results = await client.SystemCreateAccountsAsync(_partition, clearing).ConfigureAwait(false);
                foreach (CreateResult r in results)
                {
                    if (r.Code is not (ResultCode.Ok or ResultCode.Exists))
                        throw new InvalidOperationException($"partition {_partition} refused clearing account {r.Index}: {r.Code}");
                }
                _cleared = true;
            }
            Volatile.Write(ref _client, client);
            client = null;
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SendAsync(WalletClient client, Transfer[] steps, ISagaStepAnswers answers)
    {
        try
        {
            CreateResult[] results = await client.SystemTransfersAsync(_partition, steps).ConfigureAwait(false);
            foreach (CreateResult r in results)
            {
                if ((uint)r.Index < (uint)steps.Length) answers.OnStepResult(steps[r.Index].Id, r.Code);
            }
        }
        catch (WalletBusyException)
        {
            // The partition is saturated: nothing was queued; the replica resends after its retry interval.
        }
        catch (Exception ex)
        {
            Fail(ex);
            if (Interlocked.CompareExchange(ref _client, null, client) == client) await client.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
#pragma warning restore CA1031

    private void Fail(Exception ex)
    {
        Interlocked.Increment(ref _failures);
        _lastError = $"{ex.GetType().Name}: {ex.Message}";
        Volatile.Write(ref _nextAttemptMs, Environment.TickCount64 + ReconnectBackoffMs);
    }

    public async ValueTask DisposeAsync()
    {
        WalletClient? client = Interlocked.Exchange(ref _client, null);
        if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
    }
}
