using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Wallet.Engine.Ledger;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>
/// A scripted stand-in for the gateway on 127.0.0.1 (ephemeral port). Logon and every request go through
/// replaceable handlers; the defaults accept the logon and behave like a tiny idempotent ledger
/// (transfers/accounts deduplicated by id: a repeat gets Exists).
/// </summary>
internal sealed class FakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _sessions = [];
    private readonly ConcurrentBag<FakeSession> _open = [];
    private readonly Task _accept;
    private int _connections;

    /// <param name="receiveBufferBytes">The accepted sockets' kernel receive buffer (0 = OS default); small makes a client's sends block.</param>
    public FakeServer(int receiveBufferBytes = 0)
    {
        if (receiveBufferBytes > 0)
        {
            _listener.Server.ReceiveBufferSize = receiveBufferBytes; // before listen: inherited by accepted sockets
        }
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        OnLogon = (s, correlationId) => s.SendLogonAckAsync(correlationId, HeartbeatIntervalMs, MaxInFlight, MaxFrameBytes, MaxBatchSize);
        OnRequest = DefaultAnswerAsync;
        _accept = AcceptLoopAsync();
    }

    public int Port { get; }
    public uint HeartbeatIntervalMs { get; set; } = 1000;
    public uint MaxInFlight { get; set; } = 64;
    public uint MaxFrameBytes { get; set; } = 1 << 20;
    public uint MaxBatchSize { get; set; } = 8190;
    /// <summary>Send Heartbeat every interval after logon, like the real gateway; false = a silent peer.</summary>
    public bool SendsHeartbeats { get; set; } = true;

    /// <summary>
    /// Awaited before a session reads its frame number n (0 = Logon): an incomplete task makes the fake gateway stop
    /// reading there (a slow peer), deterministically.
    /// </summary>
    public Func<int, Task> BeforeFrame { get; set; } = static _ => Task.CompletedTask;

    public Func<FakeSession, ulong, Task> OnLogon { get; set; }
    public Func<FakeSession, ReceivedRequest, Task> OnRequest { get; set; }

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();
    public ConcurrentQueue<ushort> Templates { get; } = new();
    public ConcurrentDictionary<UInt128, Transfer> Transfers { get; } = new();
    public ConcurrentDictionary<UInt128, Account> Accounts { get; } = new();
    public int Connections => Volatile.Read(ref _connections);
    public int Logons;
    /// <summary>Client frames that did not parse (bad SOFH header, length, template or group); the session is closed.</summary>
    public int MalformedFrames;

    public void DropAll()
    {
        foreach (FakeSession s in _open)
        {
            s.Abort();
        }
    }

    public void StopListening() => _listener.Stop();

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                TcpClient tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
                tcp.NoDelay = true;
                var session = new FakeSession(tcp, Interlocked.Increment(ref _connections));
                _open.Add(session);
                lock (_sessions)
                {
                    _sessions.Add(RunSessionAsync(session, tcp));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped (InvalidOperationException: the listener was stopped between two accepts).
        }
    }

    private async Task RunSessionAsync(FakeSession session, TcpClient tcp)
    {
        try
        {
            var header = new byte[Sofh.HeaderLength];
            for (int frame = 0; ; frame++)
            {
                await BeforeFrame(frame).WaitAsync(_stop.Token);
                await session.Stream.ReadExactlyAsync(header, _stop.Token);
                if (!Sofh.TryRead(header, out uint length, out ushort encoding) || encoding != Sofh.SbeLittleEndian
                    || length < Sofh.HeaderLength + ProtocolSchema.MessageHeaderLength || length > MaxFrameBytes)
                {
                    Interlocked.Increment(ref MalformedFrames); // e.g. two client frames interleaved on the wire
                    return;
                }
                var sbe = new byte[length - Sofh.HeaderLength];
                await session.Stream.ReadExactlyAsync(sbe, _stop.Token);
                ushort template = new MessageHeaderDecoder(sbe, 0).TemplateId;
                Templates.Enqueue(template);
                if (template == LogonDecoder.TemplateId)
                {
                    Interlocked.Increment(ref Logons);
                    await OnLogon(session, LogonDecoder.WrapWithHeader(sbe, 0).CorrelationId);
                    if (SendsHeartbeats)
                    {
                        _ = HeartbeatLoopAsync(session);
                    }
                    continue;
                }
                if (template is HeartbeatDecoder.TemplateId or LogoutDecoder.TemplateId)
                {
                    continue;
                }
                ReceivedRequest request;
                try
                {
                    request = Decode(template, sbe, session.Number);
                }
                catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException or IndexOutOfRangeException)
                {
                    Interlocked.Increment(ref MalformedFrames);
                    return;
                }
                Requests.Enqueue(request);
                await OnRequest(session, request);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
        {
            // Connection closed by either side.
        }
        finally
        {
            tcp.Dispose();
        }
    }

    private async Task HeartbeatLoopAsync(FakeSession session)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay((int)HeartbeatIntervalMs, _stop.Token);
                await session.SendHeartbeatAsync();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Session over.
        }
    }

    private static ReceivedRequest Decode(ushort template, byte[] sbe, int connection)
    {
        ulong correlationId = BinaryPrimitives.ReadUInt64LittleEndian(sbe.AsSpan(ProtocolSchema.MessageHeaderLength));
        var transfers = new List<Transfer>();
        var accounts = new List<Account>();
        var ids = new List<UInt128>();
        int partition = -1;
        switch (template)
        {
            case SystemTransfersDecoder.TemplateId:
            {
                var m = SystemTransfersDecoder.WrapWithHeader(sbe, 0);
                partition = m.Partition;
                foreach (var g in m.Transfers())
                {
                    transfers.Add(new Transfer
                    {
                        Id = Get(g.Id), DebitAccountId = Get(g.DebitAccountId), CreditAccountId = Get(g.CreditAccountId),
                        Amount = g.Amount, PendingId = Get(g.PendingId), UserData128 = Get(g.UserData128),
                        UserData64 = g.UserData64, UserData32 = g.UserData32, TimeoutSeconds = g.TimeoutSeconds,
                        Ledger = g.Ledger, Code = g.Code, Flags = (TransferFlags)g.Flags,
                    });
                }
                break;
            }
            case CreateTransfersDecoder.TemplateId:
            {
                var m = CreateTransfersDecoder.WrapWithHeader(sbe, 0);
                foreach (var g in m.Transfers())
                {
                    transfers.Add(new Transfer
                    {
                        Id = Get(g.Id), DebitAccountId = Get(g.DebitAccountId), CreditAccountId = Get(g.CreditAccountId),
                        Amount = g.Amount, PendingId = Get(g.PendingId), UserData128 = Get(g.UserData128),
                        UserData64 = g.UserData64, UserData32 = g.UserData32, TimeoutSeconds = g.TimeoutSeconds,
                        Ledger = g.Ledger, Code = g.Code, Flags = (TransferFlags)g.Flags,
                    });
                }
                break;
            }
            case CreateAccountsDecoder.TemplateId:
            {
                var m = CreateAccountsDecoder.WrapWithHeader(sbe, 0);
                foreach (var g in m.Accounts())
                {
                    accounts.Add(new Account
                    {
                        Id = Get(g.Id), UserData128 = Get(g.UserData128), UserData64 = g.UserData64,
                        UserData32 = g.UserData32, Ledger = g.Ledger, Code = g.Code, Flags = (AccountFlags)g.Flags,
                    });
                }
                break;
            }
            case LookupAccountsDecoder.TemplateId:
                foreach (var g in LookupAccountsDecoder.WrapWithHeader(sbe, 0).Ids())
                {
                    ids.Add(Get(g.Id));
                }
                break;
            case LookupTransfersDecoder.TemplateId:
                foreach (var g in LookupTransfersDecoder.WrapWithHeader(sbe, 0).Ids())
                {
                    ids.Add(Get(g.Id));
                }
                break;
            case CloseAccountsDecoder.TemplateId:
                foreach (var g in CloseAccountsDecoder.WrapWithHeader(sbe, 0).Ids())
                {
                    ids.Add(Get(g.Id));
                }
                break;
            default:
                throw new InvalidDataException($"fake server: unexpected template {template}");
        }
        return new ReceivedRequest(template, correlationId, transfers.ToArray(), accounts.ToArray(), ids.ToArray(), connection, partition);
    }

    private static UInt128 Get(Id128Decoder d) => new(d.High, d.Low);

    /// <summary>Applies the request to the in-memory ledger (idempotent by id) and answers it.</summary>
    public Task DefaultAnswerAsync(FakeSession session, ReceivedRequest request) =>
        session.SendCreateResultsOrFoundAsync(request, Apply(request), this);

    /// <summary>Applies without answering (for "applied, then the connection dropped" scripts).</summary>
    public List<(uint, ResultCode)> Apply(ReceivedRequest request)
    {
        var results = new List<(uint, ResultCode)>();
        for (int i = 0; i < request.Transfers.Length; i++)
        {
            Transfer t = request.Transfers[i];
            results.Add(((uint)i, Transfers.TryAdd(t.Id, t) ? ResultCode.Ok : ResultCode.Exists));
        }
        for (int i = 0; i < request.Accounts.Length; i++)
        {
            Account a = request.Accounts[i];
            results.Add(((uint)i, Accounts.TryAdd(a.Id, a) ? ResultCode.Ok : ResultCode.Exists));
        }
        if (request.TemplateId == CloseAccountsDecoder.TemplateId)
        {
            for (int i = 0; i < request.Ids.Length; i++)
            {
                results.Add(((uint)i, ResultCode.Ok));
            }
        }
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        Task[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions];
        }
        await Task.WhenAll(sessions.Append(_accept)).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
