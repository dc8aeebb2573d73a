using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Tcp;

/// <summary>
/// The SBE/TCP gateway. Wiring (the partition needs the result handler before the gateway can route to it):
/// <code>
/// var gateway = new GatewayServer(options, users, logger);
/// var partition = PartitionEngine.Start(partitionOptions, gateway.ResultHandler);
/// gateway.Start(new SinglePartitionRouter(partition));
/// ...
/// gateway.StopIntake(); partition.Stop(timeout, snapshot: true); await gateway.StopAsync();
/// </code>
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly GatewayContext _context;
    private readonly ResultDispatcher _dispatcher;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _sessionTasks = [];
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _housekeeping = Task.CompletedTask;

    public GatewayServer(GatewayOptions options, UserDirectory users, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(users);
        options.Validate();
        _context = new GatewayContext(options, users, logger ?? NullLogger.Instance);
        _context.Processor = new RequestProcessor(_context);
        _dispatcher = new ResultDispatcher(_context.Sessions, _context.FanOuts, _context.Splits);
        _context.Results = _dispatcher;
    }

    /// <summary>Give this to <see cref="PartitionEngine.Start"/>: results are pushed to sessions from the egress thread.</summary>
    public IPartitionResultHandler ResultHandler => _dispatcher;

    /// <summary>The read model that answers GetHistory/GetBalanceAt (set before clients use them; null = not served).</summary>
    public Wallet.Engine.ReadModel.ReadModelStore? View
    {
        get => _context.View;
        set => _context.View = value;
    }

    /// <summary>One read model per partition (index = partition) for a node hosting several; null = <see cref="View"/> answers all.</summary>
    public IReadOnlyList<Wallet.Engine.ReadModel.ReadModelStore?>? Views
    {
        get => _context.Views;
        set => _context.Views = value;
    }

    /// <summary>The bound endpoint (the real port when <see cref="GatewayOptions.Port"/> was 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("not started"));

    /// <summary>Connections open right now (logged on or not).</summary>
    public int SessionCount => _context.Sessions.Count;

    /// <summary>Results that arrived after their session had gone.</summary>
    public long OrphanedResults => _dispatcher.OrphanedResults;

    /// <summary>Requests whose items lived on several partitions, split and answered as one (see docs/gateway.md).</summary>
    public long SplitRequestsCompleted => _context.Splits.Completed;

    internal GatewayContext Context => _context;

    /// <summary>Password checks running now, out of <see cref="GatewayOptions.MaxConcurrentLogons"/>.</summary>
    public int LogonsInProgress => _context.LogonsInProgress;

    /// <summary>Binds, listens and starts accepting. Throws <see cref="SocketException"/> when the endpoint is taken.</summary>
    public void Start(IRequestRouter router)
    {
        ArgumentNullException.ThrowIfNull(router);
        if (_listener is not null) throw new InvalidOperationException("already started");
        _context.Router = router;
        GatewayOptions o = _context.Options;
        var listener = new Socket(o.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(o.BindAddress, o.Port));
            listener.Listen(Math.Min(o.MaxSessions, 512));
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        GatewayLog.Listening(_context.Logger, listener.LocalEndPoint!);
        _acceptLoop = Task.Run(AcceptLoopAsync);
        _housekeeping = Task.Run(HousekeepingLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        GatewayOptions o = _context.Options;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException ex)
            {
                if (!_context.IntakeOpen) return; // the listener was closed by StopIntake
                // Transient (a peer reset before accept, descriptors exhausted): keep serving, without a hot loop.
                GatewayLog.AcceptFailed(_context.Logger, ex);
                try { await Task.Delay(50, _stopping.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            socket.NoDelay = true;
            if (o.SocketSendBufferBytes > 0) socket.SendBufferSize = o.SocketSendBufferBytes;
            var session = new Session(_context.Sessions.NextId(), socket, _context);
            bool full = _context.Sessions.Count >= o.MaxSessions;
            _context.Sessions.Add(session);
            GatewayLog.Connected(_context.Logger, session.Id, socket.RemoteEndPoint);
            Task run = session.RunAsync();
            lock (_sessionTasks)
            {
                _sessionTasks.RemoveAll(static t => t.IsCompleted);
                _sessionTasks.Add(run);
            }
            if (full)
            {
                GatewayLog.TooManySessions(_context.Logger, o.MaxSessions);
                session.Close("too many sessions");
            }
        }
    }

    private async Task HousekeepingLoopAsync()
    {
        GatewayOptions o = _context.Options;
        // Fine enough for the shortest heartbeat the options allow, coarse enough to cost nothing.
        int periodMs = Math.Clamp(Math.Min(o.MinHeartbeatIntervalMs, o.LogonTimeoutMs) / 4, 5, 250);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(periodMs));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                foreach (IGatewaySession s in _context.Sessions.Snapshot()) s.Tick(now);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>First step of a graceful stop: no new connections, new requests refused with NotRunning; results still flow.</summary>
    public void StopIntake()
    {
        _context.IntakeOpen = false;
        _listener?.Dispose();
    }

    /// <summary>Logs every session out (flushing what is queued, e.g. the last results) and stops the gateway.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        StopIntake();
        foreach (IGatewaySession s in _context.Sessions.Snapshot()) s.Close("server shutting down");
        Task[] sessions;
        lock (_sessionTasks) sessions = [.. _sessionTasks];
        Task all = Task.WhenAll(sessions);
        await Task.WhenAny(all, Task.Delay(timeout)).ConfigureAwait(false);
        foreach (IGatewaySession s in _context.Sessions.Snapshot()) s.Abort();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(all, _acceptLoop, _housekeeping), Task.Delay(timeout)).ConfigureAwait(false);
        GatewayLog.Stopped(_context.Logger);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested) await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stopping.Dispose();
    }
}
