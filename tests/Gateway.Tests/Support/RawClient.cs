using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Tests.Support;

/// <summary>
/// Test-only SBE client over loopback: encodes requests with the generated encoders, can also send raw (malformed)
/// bytes, and reads frames with a bounded wait.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly byte[] _receive = new byte[4 << 20];
    private int _filled;
    private ulong _nextCorrelation = 1;

    private RawClient(Socket socket) => _socket = socket;

    public static async Task<RawClient> ConnectAsync(IPEndPoint endpoint, int receiveBufferBytes = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes > 0) socket.ReceiveBufferSize = receiveBufferBytes;
        using var cts = new CancellationTokenSource(DefaultWait);
        await socket.ConnectAsync(endpoint, cts.Token);
        return new RawClient(socket);
    }

    public ulong NextCorrelation() => _nextCorrelation++;

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        int sent = 0;
        while (sent < bytes.Length) sent += await _socket.SendAsync(bytes[sent..], SocketFlags.None);
    }

    /// <summary>Frames an SBE message with SOFH and sends it.</summary>
    public Task SendMessageAsync(ReadOnlySpan<byte> message, ushort encodingType = Sofh.SbeLittleEndian)
    {
        byte[] frame = new byte[Sofh.HeaderLength + message.Length];
        Sofh.Write(frame, frame.Length, encodingType);
        message.CopyTo(frame.AsSpan(Sofh.HeaderLength));
        return SendRawAsync(frame);
    }

    public static byte[] Logon(ulong correlationId, string user, string password, uint heartbeatIntervalMs = 0)
    {
        byte[] b = new byte[4096];
        var e = LogonEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        e.HeartbeatIntervalMs = heartbeatIntervalMs;
        e.PutClientId(user);
        e.PutCredential(password);
        return b[..e.Limit];
    }

    public static byte[] Heartbeat()
    {
        byte[] b = new byte[64];
        var e = HeartbeatEncoder.WrapAndApplyHeader(b, 0);
        e.TimestampNs = 1;
        return b[..e.Limit];
    }

    public static byte[] Logout()
    {
        byte[] b = new byte[64];
        var e = LogoutEncoder.WrapAndApplyHeader(b, 0);
        e.PutText("bye");
        return b[..e.Limit];
    }

    public static byte[] CreateAccounts(ulong correlationId, uint ledger, params UInt128[] ids)
    {
        byte[] b = new byte[64 + ids.Length * 64];
        var e = CreateAccountsEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        var g = e.AccountsCount(ids.Length);
        foreach (UInt128 id in ids)
        {
            g.Next();
            Put(g.Id, id);
            g.Ledger = ledger;
            g.Code = 1;
        }
        return b[..e.Limit];
    }

    public static byte[] CreateTransfers(ulong correlationId, params TransferSpec[] transfers)
    {
        byte[] b = new byte[64 + transfers.Length * 128];
        var e = CreateTransfersEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        var g = e.TransfersCount(transfers.Length);
        foreach (TransferSpec t in transfers)
        {
            g.Next();
            Put(g.Id, t.Id);
            Put(g.DebitAccountId, t.Debit);
            Put(g.CreditAccountId, t.Credit);
            Put(g.PendingId, t.PendingId);
            g.Amount = t.Amount;
            g.Ledger = t.Ledger;
            g.Code = t.Code;
            g.Flags = t.Flags;
        }
        return b[..e.Limit];
    }

    public static byte[] SystemTransfers(ulong correlationId, ushort partition, params TransferSpec[] transfers)
    {
        byte[] b = new byte[64 + transfers.Length * 128];
        var e = SystemTransfersEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        e.Partition = partition;
        var g = e.TransfersCount(transfers.Length);
        foreach (TransferSpec t in transfers)
        {
            g.Next();
            Put(g.Id, t.Id);
            Put(g.DebitAccountId, t.Debit);
            Put(g.CreditAccountId, t.Credit);
            Put(g.PendingId, t.PendingId);
            g.Amount = t.Amount;
            g.Ledger = t.Ledger;
            g.Code = t.Code;
            g.Flags = t.Flags;
        }
        return b[..e.Limit];
    }

    public async Task<CreateResultsView> SystemTransfersAsync(ushort partition, params TransferSpec[] transfers)
    {
        ulong c = NextCorrelation();
        await SendMessageAsync(SystemTransfers(c, partition, transfers));
        CreateResultsView r = (await ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(c, r.CorrelationId);
        return r;
    }

    public static byte[] LookupAccounts(ulong correlationId, params UInt128[] ids)
    {
        byte[] b = new byte[64 + ids.Length * 16];
        var e = LookupAccountsEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        var g = e.IdsCount(ids.Length);
        foreach (UInt128 id in ids)
        {
            g.Next();
            Put(g.Id, id);
        }
        return b[..e.Limit];
    }

    public static byte[] CloseAccounts(ulong correlationId, params UInt128[] ids) => IdList(CloseAccountsDecoder.TemplateId, correlationId, ids);

    public static byte[] LookupTransfers(ulong correlationId, params UInt128[] ids) => IdList(LookupTransfersDecoder.TemplateId, correlationId, ids);

    /// <summary>A peer gateway's transfer lookup of one partition (peer role only).</summary>
    public static byte[] PeerLookupTransfers(ulong correlationId, ushort partition, params UInt128[] ids)
    {
        byte[] b = new byte[64 + ids.Length * 16];
        var e = PeerLookupTransfersEncoder.WrapAndApplyHeader(b, 0);
        e.CorrelationId = correlationId;
        e.Partition = partition;
        var g = e.IdsCount(ids.Length);
        foreach (UInt128 id in ids)
        {
            g.Next();
            Put(g.Id, id);
        }
        return b[..e.Limit];
    }

    /// <summary>
    /// LookupAccounts, LookupTransfers and CloseAccounts share one wire layout (correlationId, then a group of Id128 —
    /// the gateway reads them as one, see RequestProcessor.TranslateIds): encoded once, the header's template id set last.
    /// </summary>
    private static byte[] IdList(ushort templateId, ulong correlationId, UInt128[] ids)
    {
        byte[] b = LookupAccounts(correlationId, ids);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), templateId); // header: blockLength, templateId, schemaId, version
        return b;
    }

    private static void Put(Id128Encoder e, UInt128 v)
    {
        e.Low = (ulong)v;
        e.High = (ulong)(v >> 64);
    }

    /// <summary>Next frame, or null when the server closed the connection. Throws TimeoutException after <paramref name="wait"/>.</summary>
    public async Task<Frame?> ReadAsync(TimeSpan? wait = null)
    {
        using var cts = new CancellationTokenSource(wait ?? DefaultWait);
        while (true)
        {
            if (_filled >= Sofh.HeaderLength)
            {
                int length = (int)BinaryPrimitives.ReadUInt32BigEndian(_receive);
                if (_filled >= length)
                {
                    byte[] message = _receive[Sofh.HeaderLength..length];
                    Buffer.BlockCopy(_receive, length, _receive, 0, _filled - length);
                    _filled -= length;
                    return new Frame(BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(2)), message);
                }
            }
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_receive.AsMemory(_filled), SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("no frame from the gateway in time");
            }
            catch (SocketException)
            {
                return null; // reset by the server
            }
            if (n == 0) return null;
            _filled += n;
        }
    }

    /// <summary>Reads until a frame of <paramref name="templateId"/> arrives, skipping heartbeats.</summary>
    public async Task<Frame> ExpectAsync(ushort templateId, TimeSpan? wait = null)
    {
        while (true)
        {
            Frame? f = await ReadAsync(wait) ?? throw new InvalidOperationException($"connection closed while waiting for template {templateId}");
            if (f.TemplateId == HeartbeatDecoder.TemplateId && templateId != HeartbeatDecoder.TemplateId) continue;
            Assert.True(f.TemplateId == templateId, $"expected template {templateId}, got {f.TemplateId}" + (f.TemplateId == RejectDecoder.TemplateId ? $" ({f.AsReject()})" : f.TemplateId == LogoutDecoder.TemplateId ? $" (logout: {f.AsLogout()})" : string.Empty));
            return f;
        }
    }

    /// <summary>True when the server closes the connection within <paramref name="wait"/> (frames before the close are returned in <paramref name="seen"/>).</summary>
    public async Task<bool> WaitClosedAsync(List<Frame> seen, TimeSpan wait)
    {
        DateTime deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            Frame? f;
            try
            {
                f = await ReadAsync(deadline - DateTime.UtcNow);
            }
            catch (TimeoutException)
            {
                return false;
            }
            if (f is null) return true;
            seen.Add(f);
        }
        return false;
    }

    public async Task<LogonAckResult> LogonAsync(string user, string password, uint heartbeatIntervalMs = 0)
    {
        await SendMessageAsync(Logon(NextCorrelation(), user, password, heartbeatIntervalMs));
        Frame f = await ExpectAsync(LogonAckDecoder.TemplateId);
        var ack = f.AsLogonAck();
        return new LogonAckResult(ack.SessionId, ack.HeartbeatIntervalMs);
    }

    public async Task<CreateResultsView> CreateAccountsAsync(uint ledger, params UInt128[] ids)
    {
        ulong c = NextCorrelation();
        await SendMessageAsync(CreateAccounts(c, ledger, ids));
        CreateResultsView r = (await ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(c, r.CorrelationId);
        return r;
    }

    public async Task<CreateResultsView> CreateTransfersAsync(params TransferSpec[] transfers)
    {
        ulong c = NextCorrelation();
        await SendMessageAsync(CreateTransfers(c, transfers));
        CreateResultsView r = (await ExpectAsync(CreateResultsDecoder.TemplateId)).AsCreateResults();
        Assert.Equal(c, r.CorrelationId);
        return r;
    }

    public async Task<List<AccountView>> LookupAccountsAsync(params UInt128[] ids)
    {
        ulong c = NextCorrelation();
        await SendMessageAsync(LookupAccounts(c, ids));
        var r = (await ExpectAsync(AccountsFoundDecoder.TemplateId)).AsAccountsFound();
        Assert.Equal(c, r.CorrelationId);
        return r.Accounts;
    }

    public async Task<List<TransferView>> LookupTransfersAsync(params UInt128[] ids)
    {
        ulong c = NextCorrelation();
        await SendMessageAsync(LookupTransfers(c, ids));
        var r = (await ExpectAsync(TransfersFoundDecoder.TemplateId)).AsTransfersFound();
        Assert.Equal(c, r.CorrelationId);
        return r.Transfers;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

public sealed record LogonAckResult(ulong SessionId, uint HeartbeatIntervalMs);
