using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Codec;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Tcp;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Sessions;

/// <summary>
/// One TCP connection: a receive loop that frames, validates and handles requests in place over its receive buffer
/// (zero-copy), a writer loop that drains the bounded <see cref="OutboundBuffer"/> to the socket, and the session
/// state (logon, heartbeat, in-flight count). Producers of outbound bytes: this session's receive loop, the
/// partition's egress thread (results) and the housekeeping timer (heartbeats, closes); none of them ever waits on
/// the socket.
/// </summary>
internal sealed class Session : IGatewaySession
{
    private readonly Socket _socket;
    private readonly GatewayContext _context;
    private readonly OutboundBuffer _out;
    private readonly AsyncSignal _writerWake = new();
    private readonly byte[] _receive;
    private int _state;
    private int _inFlight;
    private int _disposed;
    private long _lastReceiveTicks;
    private long _lastSendTicks;
    private long _closingSinceTicks;
    private long _finSentTicks; // 0 until the closing session's last bytes are out (CloseLinger)
    private readonly long _createdTicks;

    public Session(long id, Socket socket, GatewayContext context)
    {
        Id = id;
        _socket = socket;
        _context = context;
        GatewayOptions o = context.Options;
        _out = new OutboundBuffer(o.MaxOutboundBytesPerSession, ResponseEncoder.MaxControlBytes * 2);
        _receive = GC.AllocateUninitializedArray<byte>(o.MaxFrameBytes);
        // Synchronous calls never wait: FlushResults' direct send on an egress thread takes what fits and returns
        // (WouldBlock). The receive and writer loops are asynchronous, which this setting does not affect.
        socket.Blocking = false;
        Scratch = GC.AllocateUninitializedArray<byte>(o.MaxBatchSize * 128);
        _createdTicks = _lastReceiveTicks = _lastSendTicks = Environment.TickCount64;
    }

    public long Id { get; }
    public SessionState State => (SessionState)Volatile.Read(ref _state);
    public UserPrincipal? Principal { get; private set; }
    public int HeartbeatIntervalMs { get; private set; }
    public int InFlight => Volatile.Read(ref _inFlight);
    /// <summary>Where requests are re-encoded into ledger structs before submission (receive loop only).</summary>
    public byte[] Scratch { get; }

    /// <summary>Where this session's cross-partition outcomes go; made on its first one, read on its receive loop only.</summary>
    public SessionCrossPartitionCompletion? CrossPartitionCompletion { get; set; }

    private SplitBuffers? _splitBuffers;

    /// <summary>Working space for a request whose items live on several partitions (allocated on first use: receive loop only).</summary>
    public SplitBuffers SplitBuffers => _splitBuffers ??= new SplitBuffers(_context.Options.MaxBatchSize);

    /// <summary>Runs both loops until the connection ends; never throws.</summary>
    public async Task RunAsync()
    {
        Task writer = WriteLoopAsync();
        await ReceiveLoopAsync().ConfigureAwait(false);
        await writer.ConfigureAwait(false);
        _context.Sessions.Remove(this);
    }

    public void CompleteLogon(UserPrincipal principal, int heartbeatIntervalMs)
    {
        Principal = principal;
        HeartbeatIntervalMs = heartbeatIntervalMs;
        Interlocked.CompareExchange(ref _state, (int)SessionState.LoggedOn, (int)SessionState.AwaitingLogon);
    }

    public bool TryAcquireInFlight()
    {
        if (Interlocked.Increment(ref _inFlight) <= _context.Options.MaxInFlightPerSession) return true;
        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    public void ReleaseInFlight() => Interlocked.Decrement(ref _inFlight);

    // ---- receive side ----------------------------------------------------------------------------------------

    private async Task ReceiveLoopAsync()
    {
        int filled = 0;
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(_receive.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
                if (State >= SessionState.Closing)
                {
                    // Draining until the peer closes or the linger expires; nothing more is handled.
                    filled = 0;
                    continue;
                }
                filled += n;
                int consumed = HandleFrames(filled);
                if (consumed < 0)
                {
                    filled = 0;
                    continue;
                }
                if (consumed > 0)
                {
                    _receive.AsSpan(consumed, filled - consumed).CopyTo(_receive);
                    filled -= consumed;
                }
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        finally
        {
            Abort();
        }
    }

    /// <summary>Handles every whole frame buffered; returns bytes consumed, or -1 when framing is lost (closing).</summary>
    private int HandleFrames(int filled)
    {
        int offset = 0;
        int maxFrame = _context.Options.MaxFrameBytes;
        while (State < SessionState.Closing)
        {
            ReadOnlySpan<byte> buffered = _receive.AsSpan(offset, filled - offset);
            switch (FrameParser.Next(buffered, maxFrame, out int frameLength, out ushort encoding))
            {
                case FrameStatus.NeedMore:
                    return offset;
                case FrameStatus.BadLength:
                    SendReject(0, RejectReason.MalformedFrame, 0, "SOFH length smaller than its own header; closing"u8);
                    Close("malformed frame length");
                    return -1;
                case FrameStatus.TooLarge:
                    SendReject(0, RejectReason.FrameTooLarge, 0, "SOFH length above maxFrameBytes; closing"u8);
                    Close("frame too large");
                    return -1;
            }
            ReadOnlySpan<byte> message = buffered.Slice(Sofh.HeaderLength, frameLength - Sofh.HeaderLength);
            offset += frameLength;
            if (encoding != Sofh.SbeLittleEndian)
            {
                SendReject(0, RejectReason.UnsupportedEncoding, 0, "SOFH encoding type must be 0xEB50 (SBE 1.0 little-endian)"u8);
                continue;
            }
            try
            {
                _context.Processor.Handle(this, message);
            }
#pragma warning disable CA1031 // Client input must never take the process down: log, refuse, close this session only.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                GatewayLog.IoError(_context.Logger, Id, ex);
                SendReject(0, RejectReason.Unknown, 0, "internal error handling the request; closing"u8);
                Close("internal error");
                return -1;
            }
        }
        return offset;
    }

    // ---- outbound side ---------------------------------------------------------------------------------------

    /// <summary>On the partition's egress thread: the answer to one of this session's requests.</summary>
    public void OnResult(in ResultSlot result)
    {
        if (QueueResult(in result)) Wake();
    }

    /// <summary>
    /// On an egress thread: encodes the answer into the outbound buffer without waking the writer loop; true when
    /// bytes were queued and the caller owes a <see cref="FlushResults"/> at the end of its batch (the dispatcher
    /// collects the sessions a batch touched, so one send carries all of a batch's answers to this session).
    /// </summary>
    public bool QueueResult(in ResultSlot result)
    {
        ReleaseInFlight();
        if (State >= SessionState.Closing) return false;
        if (result.Kind == QueryKind.NotLeader)
        {
            // The node lost the leadership with this request taken by consensus: it may still commit under the next
            // leader, so its outcome is unknown — never "Busy" (which promises nothing was queued). Redirect: the client
            // moves to the leader and resubmits its unanswered requests with the same ids (idempotency settles them).
            // No leader known yet: end the session, which means the same to a client (reconnect, resubmit).
            // To the leader of the partition that gave the answer (partitions of one node may be led from different nodes).
            LeaderInfo leader = _context.Router?.LeaderOf(result.Partition) ?? LeaderInfo.Unknown(0);
            if (leader.IsKnownRemote && leader.Host!.Length <= ResponseEncoder.MaxTextBytes) SendRedirect((ulong)result.CorrelationId, leader);
            else Close("leadership lost: outcomes of in-flight requests unknown; reconnect and resubmit with the same ids");
            return false;
        }
        int size = ResponseEncoder.SizeOf(result);
        lock (_out.Sync)
        {
            Span<byte> room = _out.TryReserve(size, useReserve: false);
            if (room.IsEmpty)
            {
                GatewayLog.SlowConsumer(_context.Logger, Id, _out.PendingBytes);
                Close("slow consumer: outbound buffer limit exceeded");
                return false;
            }
            UserPrincipal? principal = Principal;
            _out.Commit(ResponseEncoder.Result(room, result, principal is { ActsAsAdmin: false } ? principal : null));
        }
        return true;
    }

    /// <summary>
    /// On an egress thread, after its batch: sends what is queued straight from this thread when the writer loop is
    /// idle — one non-blocking send, instead of waking the writer loop through the thread pool (a thread wake-up per
    /// answer at one request per message, which on two cores was a large share of the gateway's CPU). Whatever the
    /// socket does not take at once (its buffer is full), and everything while the writer loop holds bytes or the
    /// session is closing, goes the usual way: the writer loop, which waits for room without holding anyone up.
    /// </summary>
    public void FlushResults()
    {
        bool wake;
        lock (_out.Sync)
        {
            if (_out.PendingBytes == 0) return;
            wake = true;
            if (!_out.WriterBusy && State == SessionState.LoggedOn)
            {
                try
                {
                    int sent = _socket.Send(_out.Pending, SocketFlags.None, out SocketError error);
                    // WouldBlock: nothing taken; any other error: left for the writer loop, whose send fails and aborts.
                    if (error == SocketError.Success) _out.ConsumeSent(sent);
                    wake = _out.PendingBytes > 0;
                }
                catch (ObjectDisposedException)
                {
                    return; // aborted meanwhile: nothing more to send
                }
            }
        }
        GatewayMetrics.SbeAnswerFlushes.Add(1, wake ? GatewayMetrics.FlushedByWriterLoop : GatewayMetrics.FlushedByEgress);
        if (wake) Wake();
        else Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
    }

    /// <summary>
    /// Sends a response the gateway answers itself (read-model queries): <paramref name="write"/> encodes at most
    /// <paramref name="size"/> bytes. A session whose buffer is full is cut, as for partition results.
    /// </summary>
    public void SendAnswer<TState>(int size, TState state, AnswerWriter<TState> write)
    {
        if (State >= SessionState.Closing) return;
        lock (_out.Sync)
        {
            Span<byte> room = _out.TryReserve(size, useReserve: false);
            if (room.IsEmpty)
            {
                GatewayLog.SlowConsumer(_context.Logger, Id, _out.PendingBytes);
                Close("slow consumer: outbound buffer limit exceeded");
                return;
            }
            _out.Commit(write(room, state));
        }
        Wake();
    }

    public void SendReject(ulong correlationId, RejectReason reason, ushort templateId, ReadOnlySpan<byte> text)
    {
        GatewayMetrics.SbeReject(reason);
        if (_context.Logger.IsEnabled(LogLevel.Debug)) GatewayLog.Rejected(_context.Logger, Id, templateId, reason);
        lock (_out.Sync)
        {
            Span<byte> room = ReserveControl();
            if (room.IsEmpty) return;
            _out.Commit(ResponseEncoder.Reject(room, correlationId, reason, templateId, text));
        }
        Wake();
    }

    public void SendLogonReject(ulong correlationId, RejectReason reason, ReadOnlySpan<byte> text)
    {
        lock (_out.Sync)
        {
            Span<byte> room = ReserveControl();
            if (room.IsEmpty) return;
            _out.Commit(ResponseEncoder.LogonReject(room, correlationId, reason, text));
        }
        Wake();
    }

    public void SendLogonAck(ulong correlationId)
    {
        GatewayOptions o = _context.Options;
        lock (_out.Sync)
        {
            Span<byte> room = ReserveControl();
            if (room.IsEmpty) return;
            _out.Commit(ResponseEncoder.LogonAck(room, correlationId, Id, HeartbeatIntervalMs, o.MaxInFlightPerSession, o.MaxFrameBytes, o.MaxBatchSize));
        }
        Wake();
    }

    /// <summary>
    /// This node does not lead <paramref name="partition"/>: Redirect to the leader when one is known, otherwise Busy
    /// (an election is running; the client retries after the hint). Nothing was applied either way.
    /// </summary>
    public void SendNotLeader(ulong correlationId, int partition) =>
        SendRedirect(correlationId, _context.Router?.LeaderOf(partition) ?? LeaderInfo.Unknown(0));

    /// <summary>Redirect to <paramref name="leader"/> when it is known and remote, otherwise Busy (retry after the hint). Nothing was applied.</summary>
    public void SendRedirect(ulong correlationId, LeaderInfo leader)
    {
        if (!leader.IsKnownRemote || leader.Host!.Length > ResponseEncoder.MaxTextBytes)
        {
            SendBusy(correlationId, _context.Options.NoLeaderRetryAfterMs);
            return;
        }
        lock (_out.Sync)
        {
            Span<byte> room = ReserveControl();
            if (room.IsEmpty) return;
            _out.Commit(ResponseEncoder.Redirect(room, correlationId, leader.Host, leader.Port, leader.Term));
        }
        Wake();
    }

    public void SendBusy(ulong correlationId) => SendBusy(correlationId, _context.Options.BusyRetryAfterMs);

    private void SendBusy(ulong correlationId, int retryAfterMs)
    {
        GatewayMetrics.Rejects.Add(1, GatewayMetrics.Sbe, new KeyValuePair<string, object?>("code", "Busy"));
        lock (_out.Sync)
        {
            Span<byte> room = ReserveControl();
            if (room.IsEmpty) return;
            _out.Commit(ResponseEncoder.Busy(room, correlationId, retryAfterMs));
        }
        Wake();
    }

    private void SendHeartbeat(long nowTicks)
    {
        long timestampNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        lock (_out.Sync)
        {
            Span<byte> room = ReserveControl();
            if (room.IsEmpty) return;
            _out.Commit(ResponseEncoder.Heartbeat(room, timestampNs));
        }
        Volatile.Write(ref _lastSendTicks, nowTicks);
        Wake();
    }

    /// <summary>Under the lock: room for a control message, or empty after cutting the session as a slow consumer.</summary>
    private Span<byte> ReserveControl()
    {
        if (State >= SessionState.Closing) return Span<byte>.Empty;
        Span<byte> room = _out.TryReserve(ResponseEncoder.MaxControlBytes, useReserve: false);
        if (room.IsEmpty)
        {
            GatewayLog.SlowConsumer(_context.Logger, Id, _out.PendingBytes);
            Close("slow consumer: outbound buffer limit exceeded");
        }
        return room;
    }

    private void Wake()
    {
        Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
        _writerWake.Set();
    }

    /// <summary>
    /// Graceful close from any thread: queue a Logout with <paramref name="reason"/> (into the reserve, so it fits even
    /// when the buffer is full), flush, half-close. The socket is dropped when the peer closes or the linger expires.
    /// </summary>
    public void Close(string reason)
    {
        lock (_out.Sync)
        {
            if (Interlocked.CompareExchange(ref _state, (int)SessionState.Closing, (int)SessionState.AwaitingLogon) != (int)SessionState.AwaitingLogon
                && Interlocked.CompareExchange(ref _state, (int)SessionState.Closing, (int)SessionState.LoggedOn) != (int)SessionState.LoggedOn)
            {
                return;
            }
            Volatile.Write(ref _closingSinceTicks, Environment.TickCount64);
            GatewayLog.Closing(_context.Logger, Id, reason);
            Span<byte> room = _out.TryReserve(ResponseEncoder.MaxControlBytes, useReserve: true);
            if (!room.IsEmpty)
            {
                Span<byte> text = stackalloc byte[ResponseEncoder.MaxTextBytes];
                int length = System.Text.Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, ResponseEncoder.MaxTextBytes / 4)), text);
                _out.Commit(ResponseEncoder.Logout(room, text[..length]));
            }
        }
        _writerWake.Set();
    }

    /// <summary>Drops the connection now (peer gone, linger expired, server stop).</summary>
    public void Abort()
    {
        Volatile.Write(ref _state, (int)SessionState.Closed);
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _socket.Dispose();
        _writerWake.Set();
    }

    private Task WriteLoopAsync() => OutboundPump.RunAsync(_socket, _out, _writerWake, () => State, Abort,
        finSent: () => Volatile.Write(ref _finSentTicks, Environment.TickCount64));

    // ---- housekeeping ----------------------------------------------------------------------------------------

    /// <summary>Called by the gateway's timer: logon timeout, heartbeats, idle timeout, close linger.</summary>
    public void Tick(long nowTicks)
    {
        GatewayOptions o = _context.Options;
        switch (State)
        {
            case SessionState.AwaitingLogon:
                if (nowTicks - _createdTicks >= o.LogonTimeoutMs) Close("logon timeout");
                break;
            case SessionState.LoggedOn:
                if (nowTicks - Volatile.Read(ref _lastReceiveTicks) >= (long)HeartbeatIntervalMs * o.IdleTimeoutIntervals)
                {
                    Close("idle timeout");
                }
                else if (nowTicks - Volatile.Read(ref _lastSendTicks) >= HeartbeatIntervalMs)
                {
                    SendHeartbeat(nowTicks);
                }
                break;
            case SessionState.Closing:
                if (CloseLinger.ShouldDrop(nowTicks, Volatile.Read(ref _closingSinceTicks), Volatile.Read(ref _finSentTicks), o.CloseLingerMs)) Abort();
                break;
        }
    }
}
