using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Wallet.Engine.Journal;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Fix;

/// <summary>
/// One FIX 4.4 connection (acceptor side): framing, the session protocol (Logon, Heartbeat, TestRequest,
/// ResendRequest, Reject, SequenceReset/GapFill, Logout), MsgSeqNum rules, and the hand-off of application messages
/// to <see cref="FixApplication"/>. Threads: the receive loop (everything inbound), the writer loop (socket sends),
/// the partition's egress thread (reports, via <see cref="OnResult"/>) and the housekeeping timer (<see cref="Tick"/>).
/// Every outbound message takes its MsgSeqNum, is persisted (application messages) and is queued under one lock, so
/// the wire order is the sequence order. Shares the registry, routing, logon slots and result push with the SBE
/// gateway through <see cref="GatewayContext"/>.
/// </summary>
internal sealed class FixSession : IGatewaySession
{
    /// <summary>Largest body (fields after the standard header) the gateway itself produces.</summary>
    public const int MaxBodyBytes = 1024;
    private const int MaxTestRequestIdBytes = 32;

    private readonly Socket _socket;
    private readonly FixServer _server;
    private readonly GatewayContext _context;
    private readonly FixOptions _options;
    private readonly OutboundBuffer _out;
    private readonly AsyncSignal _writerWake = new();
    private readonly byte[] _receive;
    private readonly FixMessage _message;
    private readonly int _maxOutMessageBytes;
    private readonly byte[] _resendBuffer;
    private readonly long _createdTicks;
    private int _state;
    private int _disposed;
    private long _lastReceiveTicks;
    private long _lastSendTicks;
    private long _closingSinceTicks;
    private long _finSentTicks; // 0 until the closing session's last bytes are out (CloseLinger)
    private long _testRequestSentTicks;
    private int _resendUpTo;
    private byte[] _ourCompId = [];
    private byte[] _theirCompId = [];
    private FixSessionStore? _store;
    // One delegate for the session's life: registered with the store at logon, removed by identity when drained.
    private readonly Func<int> _unansweredFloor;
    private readonly FixSessionSyncer? _syncer;

    public FixSession(long id, Socket socket, FixServer server, GatewayContext context)
    {
        Id = id;
        _socket = socket;
        _server = server;
        _context = context;
        _options = server.Options;
        _maxOutMessageBytes = FixEncoder.MaxMessageBytes(FixOptions.MaxCompIdBytes, FixOptions.MaxCompIdBytes, MaxBodyBytes);
        _out = new OutboundBuffer(_options.MaxOutboundBytesPerSession, _maxOutMessageBytes * 2);
        _receive = GC.AllocateUninitializedArray<byte>(_options.MaxMessageBytes * 2);
        _resendBuffer = new byte[MaxBodyBytes + 256];
        _message = new FixMessage(_options.MaxFields);
        Application = new FixApplication(this, server, context);
        _unansweredFloor = Application.UnansweredFloor;
        // Under batch the writer's pre-send sync runs on a thread of this session's own (see FixSessionSyncer).
        _syncer = _options.Fsync != FsyncPolicy.Batch ? null : new FixSessionSyncer(SyncStoreBeforeSend, "fix-sync-" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _createdTicks = _lastReceiveTicks = _lastSendTicks = Environment.TickCount64;
    }

    public long Id { get; }
    public SessionState State => (SessionState)Volatile.Read(ref _state);
    public FixPartner? Partner { get; private set; }
    public UserPrincipal? Principal { get; private set; }
    public int HeartbeatMs { get; private set; }
    internal FixApplication Application { get; }
    internal ILogger Logger => _context.Logger;

    public async Task RunAsync()
    {
        Task writer = WriteLoopAsync();
        await ReceiveLoopAsync().ConfigureAwait(false);
        await writer.ConfigureAwait(false);
        _syncer?.Dispose(); // the writer is done: nothing asks for a sync any more
        if (Partner is not null) _server.Unbind(Partner, this);
        // Requests still in the partition get their reports persisted (store-and-forward, see Send): stay reachable
        // for the result push until they are answered, bounded.
        long until = Environment.TickCount64 + DrainTimeoutMs;
        while (Application.InFlight > 0 && Environment.TickCount64 < until) await Task.Delay(10).ConfigureAwait(false);
        // Drained (or given up after the bound): this session no longer holds the recorded incoming number back.
        Volatile.Read(ref _store)?.StopTracking(_unansweredFloor);
        _context.Sessions.Remove(this);
    }

    /// <summary>How long a disconnected session waits for the answers to its requests still in the partition.</summary>
    private const int DrainTimeoutMs = 5000;

    // ---- receive side --------------------------------------------------------------------------------------

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
                    filled = 0;
                    continue;
                }
                filled += n;
                int consumed = HandleBuffered(filled);
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

    /// <summary>Handles every whole message buffered; returns the bytes consumed.</summary>
    private int HandleBuffered(int filled)
    {
        int offset = 0;
        while (offset < filled && State < SessionState.Closing)
        {
            FixFrameStatus status = FixFramer.Next(_receive.AsSpan(offset, filled - offset), _options.MaxMessageBytes,
                out int consumed, out int bodyStart, out int bodyEnd);
            if (status == FixFrameStatus.NeedMore) break;
            if (status != FixFrameStatus.Complete)
            {
                // FIX: a garbled message is ignored (no reject, MsgSeqNum not consumed); a later gap triggers a resend.
                FixLog.Garbled(_context.Logger, Id, status, consumed);
                offset += consumed;
                continue;
            }
            try
            {
                HandleMessage(offset + bodyStart, offset + bodyEnd);
            }
#pragma warning disable CA1031 // A partner's input must never take the process down: log, logout, close this session only.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                FixLog.Failed(_context.Logger, Id, ex);
                Close("internal error handling the message");
            }
            offset += consumed;
        }
        // Nothing more whole in the buffer: what this burst brought goes to the partition now, as one command.
        FlushApplication();
        return offset;
    }

    private void FlushApplication()
    {
        try
        {
            Application.Flush();
        }
#pragma warning disable CA1031 // as above: this session only
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FixLog.Failed(_context.Logger, Id, ex);
            Close("internal error submitting requests");
        }
    }

    private void HandleMessage(int bodyStart, int bodyEnd)
    {
        FixParseError error = _message.Parse(_receive, bodyStart, bodyEnd);
        if (error is FixParseError.MissingEquals or FixParseError.MsgTypeNotThird)
        {
            FixLog.Garbled(_context.Logger, Id, FixFrameStatus.BadHeader, bodyEnd - bodyStart);
            return;
        }
        if (State == SessionState.AwaitingLogon)
        {
            if (error != FixParseError.None || !_message.MsgType.SequenceEqual(FixMsgType.Logon))
            {
                // FIX: the first message must be a Logon; anything else ends the connection without a Logout.
                FixLog.LogonRefused(_context.Logger, Id, "first message is not a valid Logon");
                Abort();
                return;
            }
            Logon();
            return;
        }

        // Header checks come first: a message from the wrong CompIDs is never processed.
        if (!_message.GetOrEmpty(FixTag.SenderCompId).SequenceEqual(_theirCompId) || !_message.GetOrEmpty(FixTag.TargetCompId).SequenceEqual(_ourCompId))
        {
            SendReject(SeqOrZero(), FixSessionRejectReason.CompIdProblem, FixTag.SenderCompId, "SenderCompID/TargetCompID do not match the session"u8);
            Close("CompID problem");
            return;
        }
        if (_message.TryGetInt(FixTag.MsgSeqNum, out int seq) != FixValue.Ok || seq == 0)
        {
            Close("MsgSeqNum (34) missing or malformed");
            return;
        }
        ReadOnlySpan<byte> msgType = _message.MsgType;
        int expected = _store!.NextTargetSeq;

        // SequenceReset-Reset ignores MsgSeqNum entirely.
        if (msgType.SequenceEqual(FixMsgType.SequenceReset) && !_message.IsYes(FixTag.GapFillFlag))
        {
            SequenceResetReset(seq, expected);
            return;
        }
        if (seq > expected)
        {
            if (msgType.SequenceEqual(FixMsgType.Logout))
            {
                Close("logout acknowledged", sendText: false);
                return;
            }
            if (msgType.SequenceEqual(FixMsgType.ResendRequest)) ResendRequest(seq);
            if (_resendUpTo == 0)
            {
                FixLog.Gap(_context.Logger, Id, expected, seq);
                SendResendRequest(expected);
            }
            _resendUpTo = Math.Max(_resendUpTo, seq);
            return; // not processed now: it comes again in the resend
        }
        if (seq < expected)
        {
            if (_message.IsYes(FixTag.PossDupFlag)) return; // a duplicate already processed
            Close($"MsgSeqNum too low, expecting {expected} but received {seq}");
            return;
        }

        // In sequence.
        if (error != FixParseError.None)
        {
            _store.SetNextTargetSeq(seq + 1);
            RejectParseError(seq, error);
            return;
        }
        if (!_message.Has(FixTag.SendingTime))
        {
            _store.SetNextTargetSeq(seq + 1);
            SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.SendingTime, "SendingTime (52) is required"u8);
            return;
        }
        if (_message.IsYes(FixTag.PossDupFlag) && !_message.Has(FixTag.OrigSendingTime) && !msgType.SequenceEqual(FixMsgType.SequenceReset))
        {
            _store.SetNextTargetSeq(seq + 1);
            SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.OrigSendingTime, "OrigSendingTime (122) is required with PossDupFlag=Y"u8);
            return;
        }
        if (msgType.SequenceEqual(FixMsgType.SequenceReset))
        {
            GapFill(seq);
            return;
        }
        _store.SetNextTargetSeq(seq + 1);
        if (_resendUpTo != 0 && seq >= _resendUpTo) _resendUpTo = 0;
        Dispatch(msgType, seq);
    }

    private void Dispatch(ReadOnlySpan<byte> msgType, int seq)
    {
        if (msgType.Length == 1)
        {
            switch (msgType[0])
            {
                case (byte)'0':
                    if (_message.Has(FixTag.TestReqId)) Volatile.Write(ref _testRequestSentTicks, 0);
                    return;
                case (byte)'1':
                    if (!_message.TryGet(FixTag.TestReqId, out ReadOnlySpan<byte> testReqId))
                    {
                        SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.TestReqId, "TestReqID (112) is required"u8);
                        return;
                    }
                    Span<byte> hb = stackalloc byte[MaxBodyBytes];
                    var body = new FixBody(hb);
                    body.Add(FixTag.TestReqId, testReqId[..Math.Min(testReqId.Length, 256)]);
                    Send(FixMsgType.Heartbeat, body.Written, isApplication: false);
                    return;
                case (byte)'2':
                    ResendRequest(seq);
                    return;
                case (byte)'3':
                    _message.TryGetInt(FixTag.RefSeqNum, out int refSeq);
                    FixLog.PeerReject(_context.Logger, Id, refSeq);
                    return;
                case (byte)'5':
                    Close("logout acknowledged", sendText: false);
                    return;
                case (byte)'A':
                    Close("Logon received on a session already logged on");
                    return;
            }
        }
        Application.Handle(_message, seq);
    }

    private void RejectParseError(int seq, FixParseError error)
    {
        switch (error)
        {
            case FixParseError.InvalidTagNumber:
                SendReject(seq, FixSessionRejectReason.InvalidTagNumber, 0, "a tag is not a positive number"u8);
                break;
            case FixParseError.DuplicateTag:
                SendReject(seq, FixSessionRejectReason.TagAppearsMoreThanOnce, _message.ErrorTag, "tag appears more than once"u8);
                break;
            case FixParseError.TagWithoutValue:
                SendReject(seq, FixSessionRejectReason.TagWithoutValue, _message.ErrorTag, "tag specified without a value"u8);
                break;
            default:
                SendReject(seq, FixSessionRejectReason.Other, 0, "too many fields"u8);
                break;
        }
    }

    private int SeqOrZero() => _message.TryGetInt(FixTag.MsgSeqNum, out int s) == FixValue.Ok ? s : 0;

    // ---- logon ---------------------------------------------------------------------------------------------

    private void Logon()
    {
        ReadOnlySpan<byte> sender = _message.GetOrEmpty(FixTag.SenderCompId);
        ReadOnlySpan<byte> target = _message.GetOrEmpty(FixTag.TargetCompId);
        if (sender.IsEmpty || target.IsEmpty || sender.Length > FixOptions.MaxCompIdBytes || target.Length > FixOptions.MaxCompIdBytes)
        {
            FixLog.LogonRefused(_context.Logger, Id, "SenderCompID/TargetCompID missing or too long");
            Abort();
            return;
        }
        // Replies go back with the CompIDs swapped, even when the logon is refused.
        _theirCompId = sender.ToArray();
        _ourCompId = target.ToArray();
        FixPartner? partner = _server.FindPartner(sender, target);
        if (partner is null)
        {
            RefuseLogon("unknown SenderCompID/TargetCompID");
            return;
        }
        if (_message.TryGetInt(FixTag.MsgSeqNum, out int seq) != FixValue.Ok || seq == 0)
        {
            RefuseLogon("MsgSeqNum (34) missing or malformed");
            return;
        }
        if (_message.TryGetInt(FixTag.EncryptMethod, out int encrypt) != FixValue.Ok || encrypt != 0)
        {
            RefuseLogon("EncryptMethod (98) must be 0");
            return;
        }
        if (_message.TryGetInt(FixTag.HeartBtInt, out int heartBtInt) != FixValue.Ok
            || heartBtInt < _options.MinHeartbeatSeconds || heartBtInt > _options.MaxHeartbeatSeconds)
        {
            RefuseLogon($"HeartBtInt (108) must be {_options.MinHeartbeatSeconds}..{_options.MaxHeartbeatSeconds}");
            return;
        }
        ReadOnlySpan<byte> username = _message.GetOrEmpty(FixTag.Username);
        ReadOnlySpan<byte> password = _message.GetOrEmpty(FixTag.Password);
        if (!_context.TryBeginLogon())
        {
            RefuseLogon("too many logons in progress, retry");
            return;
        }
        UserPrincipal? principal;
        try
        {
            // Always run the (slow) password check, so timing does not tell a wrong username from a wrong password.
            principal = _server.Partners.Authenticate(partner.Username, username, password);
        }
        finally
        {
            _context.EndLogon();
        }
        if (principal is null)
        {
            RefuseLogon("bad Username (553) / Password (554)");
            return;
        }
        if (!_context.IntakeOpen)
        {
            RefuseLogon("gateway is shutting down");
            return;
        }
        if (!_server.TryBind(partner, this))
        {
            RefuseLogon("this partner already has a session logged on");
            return;
        }
        Partner = partner;
        Principal = principal;
        HeartbeatMs = heartBtInt * 1000;
        FixSessionStore store = _server.StoreOf(partner);
        Volatile.Write(ref _store, store); // read by the writer loop's sync gate
        bool reset = _message.IsYes(FixTag.ResetSeqNumFlag);
        if (reset) store.Reset();
        // From now on a request counts as processed on disk only once it is answered (see FixApplication.UnansweredFloor).
        store.TrackUnanswered(_unansweredFloor);
        int expected = store.NextTargetSeq;
        if (seq < expected)
        {
            Interlocked.Exchange(ref _state, (int)SessionState.LoggedOn);
            Close($"MsgSeqNum too low, expecting {expected} but received {seq}");
            return;
        }
        Interlocked.Exchange(ref _state, (int)SessionState.LoggedOn);
        FixLog.LoggedOn(_context.Logger, Id, partner.SenderCompId, partner.TargetCompId, principal.Name, heartBtInt, expected, store.NextSenderSeq, reset ? ", reset" : string.Empty);

        Span<byte> buffer = stackalloc byte[64];
        var body = new FixBody(buffer);
        body.Add(FixTag.EncryptMethod, 0);
        body.Add(FixTag.HeartBtInt, heartBtInt);
        if (reset) body.AddChar(FixTag.ResetSeqNumFlag, 'Y');
        Send(FixMsgType.Logon, body.Written, isApplication: false);

        if (seq == expected)
        {
            store.SetNextTargetSeq(seq + 1);
        }
        else
        {
            // The partner is ahead of us: ask for everything from our expected number on (the Logon itself included).
            FixLog.Gap(_context.Logger, Id, expected, seq);
            SendResendRequest(expected);
            _resendUpTo = seq;
        }
    }

    /// <summary>Logout with the reason, then close. Uses the partner's next number without consuming it.</summary>
    private void RefuseLogon(string reason)
    {
        FixLog.LogonRefused(_context.Logger, Id, reason);
        Span<byte> buffer = stackalloc byte[MaxBodyBytes];
        var body = new FixBody(buffer);
        AddText(ref body, reason);
        lock (_out.Sync)
        {
            if (State != SessionState.AwaitingLogon) return;
            Span<byte> room = _out.TryReserve(_maxOutMessageBytes, useReserve: true);
            int n = room.IsEmpty ? 0 : FixEncoder.Encode(room, FixMsgType.Logout, _ourCompId, _theirCompId, 1, FixTime.NowUnixNanoseconds(), false, 0, body.Written);
            _out.Commit(n);
            Volatile.Write(ref _closingSinceTicks, Environment.TickCount64);
            Volatile.Write(ref _state, (int)SessionState.Closing);
        }
        _writerWake.Set();
    }

    // ---- sequence handling ---------------------------------------------------------------------------------

    private void SendResendRequest(int begin)
    {
        Span<byte> buffer = stackalloc byte[64];
        var body = new FixBody(buffer);
        body.Add(FixTag.BeginSeqNo, begin);
        body.Add(FixTag.EndSeqNo, 0); // 0 = everything after BeginSeqNo
        Send(FixMsgType.ResendRequest, body.Written, isApplication: false);
    }

    private void GapFill(int seq)
    {
        if (_message.TryGetInt(FixTag.NewSeqNo, out int newSeq) != FixValue.Ok)
        {
            _store!.SetNextTargetSeq(seq + 1);
            SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.NewSeqNo, "NewSeqNo (36) is required"u8);
            return;
        }
        if (newSeq <= seq)
        {
            _store!.SetNextTargetSeq(seq + 1);
            SendReject(seq, FixSessionRejectReason.ValueIsIncorrect, FixTag.NewSeqNo, "NewSeqNo must be greater than MsgSeqNum"u8);
            return;
        }
        _store!.SetNextTargetSeq(newSeq);
        if (_resendUpTo != 0 && newSeq > _resendUpTo) _resendUpTo = 0;
    }

    private void SequenceResetReset(int seq, int expected)
    {
        if (_message.TryGetInt(FixTag.NewSeqNo, out int newSeq) != FixValue.Ok)
        {
            SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.NewSeqNo, "NewSeqNo (36) is required"u8);
            return;
        }
        if (newSeq < expected)
        {
            SendReject(seq, FixSessionRejectReason.ValueIsIncorrect, FixTag.NewSeqNo, "SequenceReset may not lower the expected MsgSeqNum"u8);
            return;
        }
        _store!.SetNextTargetSeq(newSeq);
        _resendUpTo = 0;
    }

    /// <summary>Answers a ResendRequest: stored application messages again (PossDupFlag=Y), the rest as gap fills.</summary>
    private void ResendRequest(int seq)
    {
        if (_message.TryGetInt(FixTag.BeginSeqNo, out int begin) != FixValue.Ok || begin == 0)
        {
            SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.BeginSeqNo, "BeginSeqNo (7) missing or malformed"u8);
            return;
        }
        if (_message.TryGetInt(FixTag.EndSeqNo, out int endRequested) != FixValue.Ok)
        {
            SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.EndSeqNo, "EndSeqNo (16) missing or malformed"u8);
            return;
        }
        int resent = 0, gapFilled = 0;
        lock (_out.Sync)
        {
            FixSessionStore store = _store!;
            int last = store.NextSenderSeq - 1;
            int end = endRequested == 0 ? last : Math.Min(endRequested, last);
            int current = begin;
            while (current <= end && State == SessionState.LoggedOn)
            {
                int stored = store.NextStoredAtOrAfter(current);
                if (stored > end)
                {
                    SendGapFillLocked(current, end + 1);
                    gapFilled++;
                    break;
                }
                if (stored > current)
                {
                    SendGapFillLocked(current, stored);
                    gapFilled++;
                }
                if (store.TryGet(stored, _resendBuffer, out long origNs, out int typeLength, out int bodyLength))
                {
                    EncodeLocked(_resendBuffer.AsSpan(0, typeLength), stored, possDup: true, origNs, _resendBuffer.AsSpan(typeLength, bodyLength));
                    resent++;
                }
                else
                {
                    SendGapFillLocked(stored, stored + 1);
                    gapFilled++;
                }
                current = stored + 1;
            }
        }
        _writerWake.Set();
        FixLog.Resent(_context.Logger, Id, begin, endRequested, resent, gapFilled);
    }

    private void SendGapFillLocked(int seq, int newSeq)
    {
        Span<byte> buffer = stackalloc byte[64];
        var body = new FixBody(buffer);
        body.AddChar(FixTag.GapFillFlag, 'Y');
        body.Add(FixTag.NewSeqNo, newSeq);
        EncodeLocked(FixMsgType.SequenceReset, seq, possDup: true, FixTime.NowUnixNanoseconds(), body.Written);
    }

    // ---- outbound ------------------------------------------------------------------------------------------

    /// <summary>
    /// Takes the next MsgSeqNum, persists it (and the message, when it is an application message) and queues the
    /// message. False when the session is closing or was just cut as a slow consumer.
    /// </summary>
    public bool Send(ReadOnlySpan<byte> msgType, ReadOnlySpan<byte> body, bool isApplication)
    {
        lock (_out.Sync)
        {
            if (State != SessionState.LoggedOn)
            {
                // Disconnected (or closing) after logon: an application message still takes its number and goes to the
                // store, so the partner gets it by ResendRequest when it sees the gap after its next Logon.
                if (isApplication && _store is not null && State >= SessionState.Closing
                    && !_store.TryStoreUnsent(FixTime.NowUnixNanoseconds(), msgType, body))
                {
                    FixLog.NotStoredAtShutdown(_context.Logger, Id, Encoding.ASCII.GetString(msgType));
                }
                return false;
            }
            Span<byte> room = _out.TryReserve(_maxOutMessageBytes, useReserve: false);
            if (room.IsEmpty)
            {
                CutSlowConsumerLocked();
                return false;
            }
            long now = FixTime.NowUnixNanoseconds();
            int seq = _store!.TakeSenderSeq();
            int n = FixEncoder.Encode(room, msgType, _ourCompId, _theirCompId, seq, now, false, 0, body);
            if (isApplication) _store.Append(seq, now, msgType, body);
            _out.Commit(n);
        }
        Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
        _writerWake.Set();
        return true;
    }

    /// <summary>Under the lock: a resent message or gap fill with its original number (no new number taken).</summary>
    private void EncodeLocked(ReadOnlySpan<byte> msgType, int seq, bool possDup, long origSendingTimeNs, ReadOnlySpan<byte> body)
    {
        Span<byte> room = _out.TryReserve(_maxOutMessageBytes, useReserve: false);
        if (room.IsEmpty)
        {
            CutSlowConsumerLocked();
            return;
        }
        _out.Commit(FixEncoder.Encode(room, msgType, _ourCompId, _theirCompId, seq, FixTime.NowUnixNanoseconds(), possDup, origSendingTimeNs, body));
        Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
    }

    private void CutSlowConsumerLocked()
    {
        GatewayLog.SlowConsumer(_context.Logger, Id, _out.PendingBytes);
        // The writer drains what is queued; nothing more is accepted. Unsent reports are resent on the next logon.
        Volatile.Write(ref _closingSinceTicks, Environment.TickCount64);
        Volatile.Write(ref _state, (int)SessionState.Closing);
        _writerWake.Set();
    }

    public void SendReject(int refSeq, FixSessionRejectReason reason, int refTag, ReadOnlySpan<byte> text)
    {
        if (_context.Logger.IsEnabled(LogLevel.Information)) FixLog.Rejected(_context.Logger, Id, reason, refSeq, Encoding.ASCII.GetString(text));
        Span<byte> buffer = stackalloc byte[MaxBodyBytes];
        var body = new FixBody(buffer);
        body.Add(FixTag.RefSeqNum, refSeq);
        if (refTag > 0) body.Add(FixTag.RefTagId, refTag);
        ReadOnlySpan<byte> refType = _message.MsgType;
        if (!refType.IsEmpty && refType.Length <= 8) body.Add(FixTag.RefMsgType, refType);
        body.Add(FixTag.SessionRejectReason, (int)reason);
        body.Add(FixTag.Text, text);
        Send(FixMsgType.Reject, body.Written, isApplication: false);
    }

    /// <summary>On the partition's egress thread: the ledger's answer to one of this session's requests.</summary>
    public void OnResult(in ResultSlot result) => Application.OnResult(in result);

    public void Close(string reason) => Close(reason, sendText: true);

    /// <summary>Graceful close: a Logout (with the reason as Text), flush, half-close; dropped after the linger.</summary>
    public void Close(string reason, bool sendText)
    {
        Span<byte> buffer = stackalloc byte[MaxBodyBytes];
        var body = new FixBody(buffer);
        if (sendText) AddText(ref body, reason);
        lock (_out.Sync)
        {
            SessionState state = State;
            if (state >= SessionState.Closing) return;
            if (state == SessionState.LoggedOn)
            {
                Span<byte> room = _out.TryReserve(_maxOutMessageBytes, useReserve: true);
                if (!room.IsEmpty)
                {
                    int seq = _store!.TakeSenderSeq();
                    _out.Commit(FixEncoder.Encode(room, FixMsgType.Logout, _ourCompId, _theirCompId, seq, FixTime.NowUnixNanoseconds(), false, 0, body.Written));
                }
            }
            Volatile.Write(ref _closingSinceTicks, Environment.TickCount64);
            Volatile.Write(ref _state, (int)SessionState.Closing);
        }
        FixLog.Closing(_context.Logger, Id, reason);
        _writerWake.Set();
    }

    private static void AddText(ref FixBody body, string text)
    {
        Span<byte> ascii = stackalloc byte[256];
        int n = Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, ascii.Length)), ascii);
        body.Add(FixTag.Text, ascii[..n]);
    }

    public void Abort()
    {
        Volatile.Write(ref _state, (int)SessionState.Closed);
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _socket.Dispose();
        _writerWake.Set();
    }

    private Task WriteLoopAsync() => OutboundPump.RunAsync(_socket, _out, _writerWake, () => State, Abort,
        _options.Fsync switch
        {
            FsyncPolicy.None => null,
            // always: every store write was synced when it was made; the gate only checks the store is not faulted.
            FsyncPolicy.Always => () => new ValueTask<bool>(SyncStoreBeforeSend()),
            _ => _syncer!.SyncAsync,
        },
        finSent: () => Volatile.Write(ref _finSentTicks, Environment.TickCount64));

    /// <summary>
    /// The writer's gate (Fix:Fsync batch): every MsgSeqNum in the bytes about to be written was taken, and every
    /// report in them stored, before the bytes were queued — one fdatasync of the store covers them all. Heartbeats,
    /// Logons, Rejects and Logouts take numbers too, so this runs before every write, not only for reports. Before
    /// logon there is no store (a refused logon's Logout takes no number).
    /// </summary>
    private bool SyncStoreBeforeSend()
    {
        FixSessionStore? store = Volatile.Read(ref _store);
        if (store is null) return true;
        try
        {
            store.SyncIfDirty();
            return true;
        }
        catch (IOException ex)
        {
            FixLog.SendBlockedBySync(_context.Logger, Id, ex);
            return false;
        }
        catch (ObjectDisposedException ex)
        {
            FixLog.SendBlockedBySync(_context.Logger, Id, ex);
            return false;
        }
    }

    // ---- housekeeping --------------------------------------------------------------------------------------

    /// <summary>Logon timeout; Heartbeat after HeartBtInt of silence; TestRequest, then Logout, when the partner is silent.</summary>
    public void Tick(long nowTicks)
    {
        switch (State)
        {
            case SessionState.AwaitingLogon:
                if (nowTicks - _createdTicks >= _options.LogonTimeoutMs)
                {
                    FixLog.LogonRefused(_context.Logger, Id, "no Logon within the logon timeout");
                    Abort();
                }
                break;
            case SessionState.LoggedOn:
                long silentMs = nowTicks - Volatile.Read(ref _lastReceiveTicks);
                long testSent = Volatile.Read(ref _testRequestSentTicks);
                if (testSent != 0 && nowTicks - testSent >= HeartbeatMs && silentMs >= HeartbeatMs)
                {
                    Close("heartbeat timeout: no answer to TestRequest");
                }
                else if (testSent == 0 && silentMs >= HeartbeatMs + HeartbeatMs / 5)
                {
                    // Partner silent for HeartBtInt plus a transmission allowance: probe it.
                    Volatile.Write(ref _testRequestSentTicks, nowTicks);
                    Span<byte> buffer = stackalloc byte[64];
                    var body = new FixBody(buffer);
                    body.Add(FixTag.TestReqId, nowTicks);
                    Send(FixMsgType.TestRequest, body.Written, isApplication: false);
                }
                else if (nowTicks - Volatile.Read(ref _lastSendTicks) >= HeartbeatMs)
                {
                    Send(FixMsgType.Heartbeat, default, isApplication: false);
                }
                if (testSent != 0 && silentMs < HeartbeatMs) Volatile.Write(ref _testRequestSentTicks, 0);
                break;
            case SessionState.Closing:
                if (CloseLinger.ShouldDrop(nowTicks, Volatile.Read(ref _closingSinceTicks), Volatile.Read(ref _finSentTicks), _options.CloseLingerMs)) Abort();
                break;
        }
    }
}
