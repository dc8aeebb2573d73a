using System.Runtime.CompilerServices;
using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// One logged-on TCP session: the socket, its frame reader, the send-loop wake-up and the limits agreed at
/// logon. It owns no requests — the client does — so losing it loses nothing but the socket.
/// </summary>
internal sealed class Connection : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private long _lastSendTimestamp = Stopwatch.GetTimestamp();
    private Exception? _abortReason;
    private int _disposed;

    private Connection(Socket socket, FrameReader reader, WalletEndpoint endpoint, SessionLimits limits)
    {
        _socket = socket;
        Reader = reader;
        Endpoint = endpoint;
        Limits = limits;
        Writer = new ConnectionWriter(FrameCodec.BatchFrameBytes(1, FrameCodec.TransferEntryBytes));
        // Synchronous sends never wait: a direct send on a caller's thread takes what the socket accepts now and hands
        // the rest to the send loop (WouldBlock). The asynchronous send and receive loops are not affected by this.
        socket.Blocking = false;
    }

    /// <summary>The one-writer rule of this socket (send loop or one direct sender).</summary>
    public ConnectionWriter Writer { get; }

    public FrameReader Reader { get; }

    /// <summary>
    /// Whether bytes from the gateway wait in the socket, not yet read (FIONREAD). The dead-connection check asks it
    /// before it gives up: a receive loop held up (a blocking completion, a starved thread pool) has not processed
    /// the gateway's frames, but the gateway did speak. False once the socket is closed.
    /// </summary>
    public bool HasUnreadBytes
    {
        get
        {
            try
            {
                return _socket.Available > 0;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
    public WalletEndpoint Endpoint { get; }
    public SessionLimits Limits { get; }
    public SendSignal Signal { get; } = new();
    public CancellationToken Stopping => _stop.Token;
    public long LastSendTimestamp => Volatile.Read(ref _lastSendTimestamp);
    /// <summary>Why the client tore this connection down (dead, redirect, protocol error), if it did.</summary>
    public Exception? AbortReason => Volatile.Read(ref _abortReason);
    /// <summary>Under the client's lock (the periodic check): the receive clock value at which silence was first seen, or 0.</summary>
    public long SilenceSuspectedAt { get; set; }
    /// <summary>Set under the client's lock when the loss has been handled (requests requeued).</summary>
    public bool Lost { get; set; }
    public Task ReceiveLoop { get; set; } = Task.CompletedTask;
    public bool LogoutRequested => Volatile.Read(ref _logoutRequested);
    private bool _logoutRequested;

    /// <summary>Asks the send loop to send Logout and stop writing.</summary>
    public void RequestLogout()
    {
        Volatile.Write(ref _logoutRequested, true);
        Signal.Set();
    }
    public Task SendLoop { get; set; } = Task.CompletedTask;

    /// <summary>Connects and logs on within <see cref="WalletClientOptions.ConnectTimeoutMs"/>.</summary>
    /// <exception cref="WalletLogonException">LogonReject.</exception>
    /// <exception cref="LeaderRedirectException">The node is not the leader.</exception>
    public static async Task<Connection> OpenAsync(WalletEndpoint endpoint, WalletClientOptions options, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeoutMs);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (options.SocketSendBufferBytes > 0)
        {
            socket.SendBufferSize = options.SocketSendBufferBytes;
        }
        var reader = new FrameReader(socket, options.MaxReceiveFrameBytes);
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
            int logonBytes = FrameCodec.LogonFrameBytes(options.ClientId, options.Credential);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(logonBytes);
            try
            {
                int length = FrameCodec.Logon(buffer, 0, (uint)options.HeartbeatIntervalMs, options.ClientId, options.Credential);
                await SendAllAsync(socket, buffer.AsMemory(0, length), timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            ReadOnlyMemory<byte> answer = await reader.ReadFrameAsync(timeout.Token).ConfigureAwait(false);
            SessionLimits limits = ReadLogonAnswer(answer.Span, options);
            return new Connection(socket, reader, endpoint, limits);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Close(socket, reader);
            throw new TimeoutException($"connect and logon to {endpoint} took longer than {options.ConnectTimeoutMs} ms");
        }
        catch (ArgumentOutOfRangeException e)
        {
            Close(socket, reader);
            throw new WalletProtocolException($"truncated logon answer from {endpoint}", e);
        }
        catch
        {
            Close(socket, reader);
            throw;
        }
    }

    /// <summary>Internal: the client fuzz target feeds it every frame as if it were the first.</summary>
    internal static SessionLimits ReadLogonAnswer(ReadOnlySpan<byte> sbe, WalletClientOptions options)
    {
        ushort template = InboundFrame.TemplateId(sbe);
        switch (template)
        {
            case LogonAckDecoder.TemplateId:
            {
                InboundFrame.CheckBlock(sbe, LogonAckDecoder.BlockLength, "LogonAck");
                LogonAckDecoder.TryWrapWithHeader(sbe, 0, out var ack);
                if (ack.MaxFrameBytes < FrameCodec.BatchFrameBytes(1, FrameCodec.TransferEntryBytes))
                {
                    throw new WalletProtocolException($"LogonAck maxFrameBytes {ack.MaxFrameBytes} cannot carry a single transfer");
                }
                return new SessionLimits(
                    ack.SessionId,
                    ack.HeartbeatIntervalMs == 0 ? options.HeartbeatIntervalMs : ClampToInt(ack.HeartbeatIntervalMs),
                    Math.Min(options.MaxInFlight, PositiveOr(ack.MaxInFlight, "maxInFlight")),
                    Math.Min(options.MaxFrameBytes, PositiveOr(ack.MaxFrameBytes, "maxFrameBytes")),
                    Math.Min(options.MaxBatchSize, PositiveOr(ack.MaxBatchSize, "maxBatchSize")));
            }
            case LogonRejectDecoder.TemplateId:
            {
                InboundFrame.CheckBlock(sbe, LogonRejectDecoder.BlockLength, "LogonReject");
                LogonRejectDecoder.TryWrapWithHeader(sbe, 0, out var reject);
                RejectReason reason = reject.Reason;
                throw new WalletLogonException(reason, reject.GetText());
            }
            case RedirectDecoder.TemplateId:
                throw LeaderRedirectException.FromFrame(sbe);
            case BusyDecoder.TemplateId:
            {
                // A follower's gateway during an election (docs/PROTOCOL.md): neither served nor redirected — yet.
                ControlMessages.ReadBusy(sbe, out _, out uint retryAfterMs);
                throw new LogonBusyException(retryAfterMs);
            }
            default:
                throw new WalletProtocolException($"expected LogonAck, LogonReject, Redirect or Busy, got template {template}");
        }
    }

    private static int ClampToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    private static int PositiveOr(uint value, string field) =>
        value == 0 ? throw new WalletProtocolException($"LogonAck {field} is 0") : ClampToInt(value);

    // Pooled state machines: a send that waits for the socket allocates no box (the allocation-free transfer path).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await SendAllAsync(_socket, bytes, _stop.Token).ConfigureAwait(false);
        Volatile.Write(ref _lastSendTimestamp, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// On a caller's thread, which owns the writer (<see cref="WriterState.Direct"/>): one non-blocking send of the first
    /// <paramref name="length"/> bytes of <see cref="ConnectionWriter.DirectFrame"/>. What the socket does not take goes to the
    /// send loop (woken here), which writes it before anything else. Never throws; a failure leaves the writer free and
    /// is for the caller to report as a lost connection.
    /// </summary>
    public DirectSendOutcome SendDirect(int length, out SocketError error)
    {
        int sent;
        try
        {
            sent = _socket.Send(Writer.DirectFrame.AsSpan(0, length), SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            // Aborted meanwhile (dead, redirect, dispose): the loss is being handled; the transfer is in flight and is resubmitted.
            error = SocketError.OperationAborted;
            sent = 0;
        }
        if (error == SocketError.Success && sent == length)
        {
            Volatile.Write(ref _lastSendTimestamp, Stopwatch.GetTimestamp());
            if (Writer.ReleaseDirect())
            {
                Signal.Set();
            }
            return DirectSendOutcome.Sent;
        }
        if (error is SocketError.Success or SocketError.WouldBlock)
        {
            if (sent > 0)
            {
                Volatile.Write(ref _lastSendTimestamp, Stopwatch.GetTimestamp());
            }
            error = SocketError.Success;
            Writer.HandOver(sent, length);
            Signal.Set();
            return DirectSendOutcome.HandedOver;
        }
        if (Writer.ReleaseDirect())
        {
            Signal.Set();
        }
        return DirectSendOutcome.Failed;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await socket.SendAsync(bytes, SocketFlags.None, ct).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Tests: closes the sending direction only, so the next send fails while the receive side stays open.</summary>
    internal void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Tears the connection down; both loops fail and the client handles the loss with this reason.</summary>
    public void Abort(Exception reason)
    {
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing left to stop.
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer may have gone first.
        }
        _socket.Close();
    }

    private static void Close(Socket socket, FrameReader reader)
    {
        socket.Dispose();
        reader.Dispose();
    }

    /// <summary>Call after both loops have ended (the reader's buffer goes back to the pool).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Abort(new ObjectDisposedException(nameof(Connection)));
        _socket.Dispose();
        Reader.Dispose();
        Signal.Dispose();
        _stop.Dispose();
    }
}
