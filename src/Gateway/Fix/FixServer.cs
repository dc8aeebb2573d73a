using System.Net;
using System.Net.Sockets;
using System.Text;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Sessions;
using Wallet.Gateway.Tcp;

namespace Wallet.Gateway.Fix;

/// <summary>
/// The FIX 4.4 acceptor: its own listener, sharing the SBE gateway's session registry (ids, result push,
/// housekeeping, shutdown), routing, logon slots and intake switch. Start it after the SBE gateway:
/// <code>
/// var fix = new FixServer(fixOptions, gateway, ledgerCatalog);
/// gateway.Start(router); fix.Start();
/// ...
/// await fix.StopAsync(timeout) (before gateway.StopAsync).
/// </code>
/// </summary>
public sealed class FixServer : IAsyncDisposable
{
    private readonly GatewayContext _context;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _sessionTasks = [];
    private readonly Dictionary<FixPartner, FixSessionStore> _stores = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<FixPartner, FixSession> _bound = new(ReferenceEqualityComparer.Instance);
    private readonly FixCurrency[] _currencies;
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    public FixServer(FixOptions options, GatewayServer gateway, LedgerCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(catalog);
        options.Validate();
        Options = options;
        _context = gateway.Context;
        Partners = new FixPartnerDirectory(options.Partners);
        var currencies = new List<FixCurrency>();
        foreach (LedgerDefinition d in catalog.Definitions) currencies.Add(new FixCurrency(Encoding.ASCII.GetBytes(d.Symbol), d.Code, d.Scale));
        _currencies = [.. currencies];
        foreach (FixPartner p in options.Partners)
        {
            int maxRecord = FixSession.MaxBodyBytes + 64;
            _stores[p] = new FixSessionStore(options.StoreDirectory, p.TargetCompId + "-" + p.SenderCompId, options.MaxStoredMessages, maxRecord,
                options.Fsync, _context.Logger);
        }
    }

    public FixOptions Options { get; }
    public FixPartnerDirectory Partners { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("not started"));

    /// <summary>Next outgoing / expected incoming MsgSeqNum of a partner's session (persisted).</summary>
    public (int NextSenderSeq, int NextTargetSeq) SequenceNumbers(FixPartner partner)
    {
        FixSessionStore s = StoreOf(partner);
        return (s.NextSenderSeq, s.NextTargetSeq);
    }

    internal FixSessionStore StoreOf(FixPartner partner) => _stores[partner];

    internal FixPartner? FindPartner(ReadOnlySpan<byte> sender, ReadOnlySpan<byte> target) => Partners.Find(sender, target);

    /// <summary>Ledger (code, scale) for a Currency (15) value; false when not configured.</summary>
    internal bool TryGetCurrency(ReadOnlySpan<byte> symbol, out FixCurrency currency)
    {
        foreach (FixCurrency c in _currencies)
        {
            if (symbol.SequenceEqual(c.Symbol))
            {
                currency = c;
                return true;
            }
        }
        currency = default;
        return false;
    }

    internal bool TryGetCurrency(uint ledger, out FixCurrency currency)
    {
        foreach (FixCurrency c in _currencies)
        {
            if (c.Ledger == ledger)
            {
                currency = c;
                return true;
            }
        }
        currency = default;
        return false;
    }

    /// <summary>One logged-on session per partner: its sequence numbers and store are not shared.</summary>
    internal bool TryBind(FixPartner partner, FixSession session)
    {
        lock (_bound) return _bound.TryAdd(partner, session);
    }

    internal void Unbind(FixPartner partner, FixSession session)
    {
        lock (_bound)
        {
            if (_bound.TryGetValue(partner, out FixSession? s) && ReferenceEquals(s, session)) _bound.Remove(partner);
        }
    }

    /// <summary>Binds and starts accepting; the SBE gateway must already be started (it owns the router).</summary>
    public void Start()
    {
        if (_listener is not null) throw new InvalidOperationException("already started");
        if (_context.Router is null) throw new InvalidOperationException("start the SBE gateway first: the FIX acceptor shares its router");
        var listener = new Socket(Options.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(Options.BindAddress, Options.Port));
            listener.Listen(64);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        FixLog.Listening(_context.Logger, listener.LocalEndPoint!);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
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
                if (!_context.IntakeOpen || _stopping.IsCancellationRequested) return;
                GatewayLog.AcceptFailed(_context.Logger, ex);
                try { await Task.Delay(50, _stopping.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            socket.NoDelay = true;
            var session = new FixSession(_context.Sessions.NextId(), socket, this, _context);
            bool full = _context.Sessions.Count >= _context.Options.MaxSessions;
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
                GatewayLog.TooManySessions(_context.Logger, _context.Options.MaxSessions);
                session.Abort();
            }
        }
    }

    /// <summary>Stops accepting, logs every FIX session out (flushing queued reports) and closes the stores.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_stopping.IsCancellationRequested) return;
        _listener?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (IGatewaySession s in _context.Sessions.Snapshot())
        {
            if (s is FixSession f) f.Close("server shutting down");
        }
        Task[] sessions;
        lock (_sessionTasks) sessions = [.. _sessionTasks];
        Task all = Task.WhenAll(sessions);
        await Task.WhenAny(all, Task.Delay(timeout)).ConfigureAwait(false);
        foreach (IGatewaySession s in _context.Sessions.Snapshot())
        {
            if (s is FixSession f) f.Abort();
        }
        await Task.WhenAny(Task.WhenAll(all, _acceptLoop), Task.Delay(timeout)).ConfigureAwait(false);
        foreach (FixSessionStore store in _stores.Values) store.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stopping.Dispose();
    }
}

/// <summary>A configured ledger as the FIX side sees it: Currency (15) text, ledger code, decimal scale.</summary>
internal readonly record struct FixCurrency(byte[] Symbol, uint Ledger, byte Scale);
