using System.Net.Sockets;
using Wallet.Engine.Ledger;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client.Tests;

/// <summary>One accepted connection of the <see cref="FakeServer"/>; the Send… helpers encode gateway messages.</summary>
internal sealed class FakeSession(TcpClient tcp, int number)
{
    private readonly NetworkStream _stream = tcp.GetStream();
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public int Number { get; } = number;
    public NetworkStream Stream => _stream;

    public void Abort()
    {
        try
        {
            tcp.Client?.LingerState = new LingerOption(true, 0); // RST: the client sees the loss at once
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
        tcp.Close();
    }

    public async Task SendRawAsync(byte[] frame)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _stream.WriteAsync(frame);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static byte[] Frame(byte[] buffer, int limit)
    {
        Sofh.Write(buffer, limit);
        return buffer.AsSpan(0, limit).ToArray();
    }

    public Task SendLogonAckAsync(ulong correlationId, uint heartbeatMs, uint maxInFlight, uint maxFrameBytes, uint maxBatchSize)
    {
        var buffer = new byte[256];
        var m = LogonAckEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.SessionId = (ulong)Number;
        m.HeartbeatIntervalMs = heartbeatMs;
        m.MaxInFlight = maxInFlight;
        m.MaxFrameBytes = maxFrameBytes;
        m.MaxBatchSize = maxBatchSize;
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendLogonRejectAsync(ulong correlationId, RejectReason reason, string text)
    {
        var buffer = new byte[2048];
        var m = LogonRejectEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.Reason = reason;
        m.PutText(text);
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendCreateResultsAsync(ulong correlationId, IReadOnlyList<(uint Index, ResultCode Code)> results, long logIndex = 1, long timestampNs = 1)
    {
        var buffer = new byte[64 + results.Count * 8];
        var m = CreateResultsEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.LogIndex = logIndex;
        m.TimestampNs = timestampNs;
        var g = m.ResultsCount(results.Count);
        foreach ((uint index, ResultCode code) in results)
        {
            g.Next();
            g.ItemIndex = index;
            g.Code = (uint)code;
        }
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendAccountsFoundAsync(ulong correlationId, IReadOnlyList<Account> accounts, long logIndex = 0)
    {
        var buffer = new byte[64 + accounts.Count * 128];
        var m = AccountsFoundEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.LogIndex = logIndex;
        var g = m.AccountsCount(accounts.Count);
        foreach (Account a in accounts)
        {
            g.Next();
            Put(g.Id, a.Id);
            Put(g.UserData128, a.UserData128);
            g.DebitsPending = a.DebitsPending;
            g.DebitsPosted = a.DebitsPosted;
            g.CreditsPending = a.CreditsPending;
            g.CreditsPosted = a.CreditsPosted;
            g.UserData64 = a.UserData64;
            g.TimestampNs = a.Timestamp;
            g.UserData32 = a.UserData32;
            g.Ledger = a.Ledger;
            g.Code = a.Code;
            g.Flags = (ushort)a.Flags;
        }
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendTransfersFoundAsync(ulong correlationId, IReadOnlyList<Transfer> transfers, long logIndex = 0)
    {
        var buffer = new byte[64 + transfers.Count * 128];
        var m = TransfersFoundEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.LogIndex = logIndex;
        var g = m.TransfersCount(transfers.Count);
        foreach (Transfer t in transfers)
        {
            g.Next();
            Put(g.Id, t.Id);
            Put(g.DebitAccountId, t.DebitAccountId);
            Put(g.CreditAccountId, t.CreditAccountId);
            g.Amount = t.Amount;
            Put(g.PendingId, t.PendingId);
            Put(g.UserData128, t.UserData128);
            g.UserData64 = t.UserData64;
            g.TimestampNs = t.Timestamp;
            g.UserData32 = t.UserData32;
            g.TimeoutSeconds = t.TimeoutSeconds;
            g.Ledger = t.Ledger;
            g.Code = t.Code;
            g.Flags = (ushort)t.Flags;
        }
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendBusyAsync(ulong correlationId, uint retryAfterMs)
    {
        var buffer = new byte[64];
        var m = BusyEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.RetryAfterMs = retryAfterMs;
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendRejectAsync(ulong correlationId, RejectReason reason, ushort refTemplateId, string text)
    {
        var buffer = new byte[2048];
        var m = RejectEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.Reason = reason;
        m.RefTemplateId = refTemplateId;
        m.PutText(text);
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendRedirectAsync(ulong correlationId, string host, int port, long term)
    {
        var buffer = new byte[2048];
        var m = RedirectEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.CorrelationId = correlationId;
        m.LeaderPort = (ushort)port;
        m.Term = term;
        m.PutLeaderHost(host);
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendLogoutAsync(string text)
    {
        var buffer = new byte[2048];
        var m = LogoutEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.PutText(text);
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    public Task SendHeartbeatAsync()
    {
        var buffer = new byte[64];
        var m = HeartbeatEncoder.WrapAndApplyHeader(buffer, Sofh.HeaderLength);
        m.TimestampNs = 1;
        return SendRawAsync(Frame(buffer, m.Limit));
    }

    private static void Put(Id128Encoder e, UInt128 v)
    {
        e.Low = (ulong)v;
        e.High = (ulong)(v >> 64);
    }
}
