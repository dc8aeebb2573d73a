using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Fix;

/// <summary>
/// The wallet's application messages on one FIX session: TransferRequest, CreateAccountRequest, BalanceRequest and
/// TransferStatusRequest are validated (required tags, exact decimal amounts by the currency's scale, authorisation)
/// and submitted to the partition through the shared router; the ledger's answer comes back on the egress thread and
/// becomes a TransferReport / CreateAccountReport / BalanceReport. Every request gets exactly one answer: a report,
/// a Reject (malformed) or a BusinessMessageReject (refused before the ledger) — never silence. Exactly-once is the
/// ledger's: a TransferID seen before answers <see cref="ResultCode.Exists"/> and moves no money again.
/// </summary>
internal sealed class FixApplication
{
    private const int MaxRequestIdBytes = 64;
    private const TransferFlags NoFlags = TransferFlags.None;
    private static readonly byte[][] s_outcomeNames = BuildOutcomeNames();

    private readonly FixSession _session;
    private readonly FixServer _server;
    private readonly GatewayContext _context;
    private readonly PendingRequest[] _pending;
    private readonly byte[] _requestIds;
    private readonly int _mask;
    private readonly byte[] _payload = new byte[Transfer.SizeBytes];
    /// <summary>TransferRequests read from one receive burst, submitted as one CreateTransfers command (see Flush).</summary>
    private readonly Transfer[] _batch;
    private int _batchCount;
    private long _batchFirst;
    private int _batchPartition;
    private long _nextCorrelationId;
    // The highest correlation id whose PendingRequest is fully written (the floor scan reads no further).
    private long _publishedCorrelationId;
    // The floor scan's position: every id below it has been answered (or refused at submission).
    private long _oldestUnanswered = 1;
    private readonly object _floorLock = new();
    private int _inFlight;

    public FixApplication(FixSession session, FixServer server, GatewayContext context)
    {
        _session = session;
        _server = server;
        _context = context;
        int capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)server.Options.MaxInFlightPerSession);
        _pending = new PendingRequest[capacity];
        _requestIds = new byte[capacity * MaxRequestIdBytes];
        _mask = capacity - 1;
        _batch = new Transfer[Math.Min(MaxBatchItems, capacity)];
    }

    /// <summary>Most TransferRequests coalesced into one ledger command.</summary>
    public const int MaxBatchItems = 256;

    /// <summary>Requests submitted to the partition and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// The MsgSeqNum of the oldest request taken from the partner and not yet answered (its effect not yet committed,
    /// or the answer not yet built), or <see cref="int.MaxValue"/> when there is none. The session store never records
    /// an incoming number at or past it as processed (<see cref="FixSessionStore.TrackUnanswered"/>): after a crash the
    /// gateway asks the partner to resend from there, and the resent requests apply once (ids are idempotent) instead
    /// of being lost. Any thread; requests are taken in MsgSeqNum order, so the oldest id carries the lowest number.
    /// </summary>
    public int UnansweredFloor()
    {
        lock (_floorLock)
        {
            long published = Volatile.Read(ref _publishedCorrelationId);
            while (_oldestUnanswered <= published)
            {
                int slot = (int)(_oldestUnanswered & _mask);
                if (Volatile.Read(ref _pending[slot].CorrelationId) == _oldestUnanswered) return _pending[slot].RefSeq;
                _oldestUnanswered++; // answered (or refused at submission, or never used: a rejected id is re-issued)
            }
            return int.MaxValue;
        }
    }

    private enum RequestKind : byte { None = 0, Transfer = 1, CreateAccount = 2, Balance = 3, TransferStatus = 4 }

    /// <summary>What a report needs to echo: kept per correlation id while the request is in the partition.</summary>
    private struct PendingRequest
    {
        public long CorrelationId;
        public RequestKind Kind;
        public UInt128 Id;
        public UInt128 Debit;
        public UInt128 Credit;
        public long Amount;
        public uint Ledger;
        public int RequestIdLength;
        /// <summary>MsgSeqNum of the request (for a BusinessMessageReject when the batch cannot be submitted).</summary>
        public int RefSeq;
        /// <summary>On the first item of a submitted command: how many items (slots first..first+n-1) it carries.</summary>
        public int BatchCount;
    }

    // ---- inbound (receive loop) ----------------------------------------------------------------------------

    public void Handle(FixMessage message, int seq)
    {
        ReadOnlySpan<byte> type = message.MsgType;
        if (type.SequenceEqual(FixMsgType.TransferRequest))
        {
            TransferRequest(message, seq);
            return;
        }
        Flush(); // answers stay in request order
        if (type.SequenceEqual(FixMsgType.CreateAccountRequest)) CreateAccountRequest(message, seq);
        else if (type.SequenceEqual(FixMsgType.BalanceRequest)) BalanceRequest(message, seq);
        else if (type.SequenceEqual(FixMsgType.TransferStatusRequest)) TransferStatusRequest(message, seq);
        else BusinessReject(message, seq, FixBusinessRejectReason.UnsupportedMessageType, default, "unsupported MsgType"u8);
    }

    private void TransferRequest(FixMessage m, int seq)
    {
        if (!RequireId(m, seq, FixTag.TransferId, out UInt128 id)
            || !RequireId(m, seq, FixTag.DebitAccount, out UInt128 debit)
            || !RequireId(m, seq, FixTag.CreditAccount, out UInt128 credit)
            || !RequireCurrency(m, seq, out FixCurrency currency)
            || !RequireAmount(m, seq, currency, FixTag.TransferId, out long amount)
            || !OptionalCode(m, seq, out ushort code))
        {
            return;
        }
        UserPrincipal principal = _session.Principal!;
        if (!principal.MayDebit(debit))
        {
            BusinessReject(m, seq, FixBusinessRejectReason.NotAuthorized, m.GetOrEmpty(FixTag.TransferId), "this partner may not debit DebitAccount (5002); nothing applied"u8);
            return;
        }
        var transfer = new Transfer
        {
            Id = id,
            DebitAccountId = debit,
            CreditAccountId = credit,
            Amount = amount,
            Ledger = currency.Ledger,
            Code = code,
            Flags = NoFlags,
        };
        if (!_context.IntakeOpen || _context.Router is null)
        {
            BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, m.GetOrEmpty(FixTag.TransferId), "gateway is shutting down; nothing applied"u8);
            return;
        }
        int partition = _context.Router.PartitionOf(debit);
        if (_context.Router.PartitionOf(credit) != partition)
        {
            CrossPartitionTransfer(m, seq, in transfer, currency.Ledger);
            return;
        }
        if (_batchCount > 0 && (partition != _batchPartition || _batchCount == _batch.Length)) Flush();
        long item = _nextCorrelationId + 1;
        int slot = (int)(item & _mask);
        if (Volatile.Read(ref _pending[slot].CorrelationId) != 0)
        {
            BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, m.GetOrEmpty(FixTag.TransferId), "too many requests awaiting results; retry"u8);
            return;
        }
        _nextCorrelationId = item;
        if (_batchCount == 0)
        {
            _batchFirst = item;
            _batchPartition = partition;
        }
        _pending[slot] = new PendingRequest
        {
            CorrelationId = item, Kind = RequestKind.Transfer, Id = id, Debit = debit, Credit = credit, Amount = amount,
            Ledger = currency.Ledger, RefSeq = seq,
        };
        Volatile.Write(ref _publishedCorrelationId, item);
        _batch[_batchCount++] = transfer;
    }

    /// <summary>
    /// Submits the TransferRequests collected so far as one CreateTransfers command (the session calls this when its
    /// receive buffer holds no further whole message, and before any other request, so order is kept). Batching is
    /// what a burst naturally gives: one journal record and one ledger pass for many requests, each still answered
    /// by its own TransferReport. All or nothing at submission: a refused batch gets one BusinessMessageReject per
    /// request, nothing applied.
    /// </summary>
    public void Flush()
    {
        int count = _batchCount;
        if (count == 0) return;
        _batchCount = 0;
        long first = _batchFirst;
        _pending[(int)(first & _mask)].BatchCount = count;
        Interlocked.Add(ref _inFlight, count);
        SubmitStatus status = _context.Router is null
            ? SubmitStatus.NotRunning
            : _context.Router.Submit(_batchPartition, (ushort)CommandKind.CreateTransfers, first, _session.Id, MemoryMarshal.AsBytes(_batch.AsSpan(0, count)));
        if (status == SubmitStatus.Accepted) return;
        if (status == SubmitStatus.NotLeader && TryForward(_batchPartition, (ushort)CommandKind.CreateTransfers, first, count, MemoryMarshal.AsBytes(_batch.AsSpan(0, count)))) return;
        Interlocked.Add(ref _inFlight, -count);
        ReadOnlySpan<byte> text = status switch
        {
            SubmitStatus.Busy => "busy: the partition's ingress is full; nothing applied, retry"u8,
            SubmitStatus.NotRunning => "the partition is not running; nothing applied"u8,
            _ => "the partition refused the request; nothing applied"u8,
        };
        Span<byte> idText = stackalloc byte[40];
        for (int i = 0; i < count; i++)
        {
            int slot = (int)((first + i) & _mask);
            PendingRequest p = _pending[slot];
            Volatile.Write(ref _pending[slot].CorrelationId, 0);
            p.Id.TryFormat(idText, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
            BusinessReject(p.RefSeq, FixMsgType.TransferRequest, FixBusinessRejectReason.ApplicationNotAvailable, idText[..n], text);
        }
    }

    /// <summary>
    /// A transfer whose accounts live on different partitions: the router's cross-partition seam (the saga sequencer)
    /// carries it, and its final outcome comes back as an ordinary TransferReport (LogIndex 0: no single partition's log
    /// decides it). The collected batch goes first, so reports stay in request order for what the ledger decides at once.
    /// </summary>
    private void CrossPartitionTransfer(FixMessage m, int seq, in Transfer transfer, uint ledger)
    {
        ReadOnlySpan<byte> refId = m.GetOrEmpty(FixTag.TransferId);
        Routing.ICrossPartitionTransfers cross = _context.Router!.CrossPartition;
        if (!cross.Enabled)
        {
            BusinessReject(m, seq, FixBusinessRejectReason.Other, refId, "DebitAccount and CreditAccount live on different partitions and this node runs no saga sequencer (Saga:Enabled=false); nothing applied"u8);
            return;
        }
        Flush();
        if (!TryTakeSlot(m, seq, refId, out long correlationId, out int slot)) return;
        _pending[slot] = new PendingRequest
        {
            CorrelationId = correlationId, Kind = RequestKind.Transfer, Id = transfer.Id, Debit = transfer.DebitAccountId, Credit = transfer.CreditAccountId,
            Amount = transfer.Amount, Ledger = ledger, RefSeq = seq, BatchCount = 1,
        };
        Volatile.Write(ref _publishedCorrelationId, correlationId);
        Interlocked.Increment(ref _inFlight);
        Routing.CrossPartitionSubmit status = cross.TrySubmit(in transfer, correlationId, _crossOutcome ??= new CrossPartitionOutcome(_session));
        if (status == Routing.CrossPartitionSubmit.Accepted) return;
        if (status == Routing.CrossPartitionSubmit.NotLeader
            && TryForward(_context.Router.PartitionOf(transfer.DebitAccountId), (ushort)CommandKind.CreateTransfers, correlationId, 1,
                MemoryMarshal.AsBytes(new ReadOnlySpan<Transfer>(in transfer)), cross.Leader)) return;
        Interlocked.Decrement(ref _inFlight);
        Volatile.Write(ref _pending[slot].CorrelationId, 0);
        switch (status)
        {
            case Routing.CrossPartitionSubmit.Busy:
                BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, refId, "busy: the saga sequencer's queue is full; nothing applied, retry"u8);
                break;
            case Routing.CrossPartitionSubmit.NotLeader:
                // FIX has no redirect: the partner sends cross-partition transfers to the node leading the saga group.
                BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, refId, "this node does not lead the saga sequencer: send cross-partition transfers to the node that does; nothing applied"u8);
                break;
            case Routing.CrossPartitionSubmit.Unsupported:
                BusinessReject(m, seq, FixBusinessRejectReason.Other, refId, "DebitAccount and CreditAccount live on different partitions and this node runs no saga sequencer; nothing applied"u8);
                break;
            default:
                BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, refId, "the saga sequencer is not running; nothing applied"u8);
                break;
        }
    }

    /// <summary>
    /// A command refused because another node leads <paramref name="partition"/> (or the saga group, <paramref name="leader"/>):
    /// forwarded there (docs/gateway.md, "Forwarding between nodes"; FIX has no redirect, so whoever leads), its answer
    /// delivered to this session like a partition's. False: not forwarded, the caller refuses as before.
    /// </summary>
    private bool TryForward(int partition, ushort kind, long correlationId, int count, ReadOnlySpan<byte> payload, Routing.LeaderInfo? leader = null)
    {
        Routing.IRequestRouter router = _context.Router!;
        if (Routing.ForwardPolicy.TargetFor(router, _session.Principal!, kind, leader ?? router.LeaderOf(partition), clientCanMove: false) is not Routing.LeaderInfo node) return false;
        if (!router.Forwarder!.TryForward(in node, kind, payload, count, new Routing.SessionForwardCompletion(_session, correlationId, kind, count, partition))) return false;
        GatewayMetrics.ForwardedRequests.Add(1);
        return true;
    }

    /// <summary>The next correlation id and its pending slot; false (the partner told) when that slot still awaits its answer.</summary>
    private bool TryTakeSlot(FixMessage m, int seq, ReadOnlySpan<byte> refId, out long correlationId, out int slot)
    {
        correlationId = _nextCorrelationId + 1;
        slot = (int)(correlationId & _mask);
        if (Volatile.Read(ref _pending[slot].CorrelationId) != 0)
        {
            BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, refId, "too many requests awaiting results; retry"u8);
            return false;
        }
        _nextCorrelationId = correlationId;
        return true;
    }

    /// <summary>Where this session's cross-partition outcomes go: one per session, made on its first cross-partition transfer.</summary>
    private CrossPartitionOutcome? _crossOutcome;

    /// <summary>
    /// Cross-partition outcomes, delivered to the session like a partition's one-item answer (any thread). One per session
    /// for all its transfers: the outcome carries its correlation id, so nothing is allocated per transfer.
    /// </summary>
    private sealed class CrossPartitionOutcome(FixSession session) : Routing.ICrossPartitionCompletion
    {
        public object? SeamAdapter { get; set; }

        public void OnCompleted(long correlationId, ResultCode code, long timestampNs)
        {
            var result = new ResultSlot
            {
                Kind = (ushort)CommandKind.CreateTransfers, CorrelationId = correlationId, SessionId = session.Id,
                Index = 0, Timestamp = timestampNs, ResultCount = 1, Results = Routing.SingleResult.Of(code), Payload = [], // borrowed for this call
            };
            session.OnResult(in result);
        }

        public void OnNotLeader(long correlationId)
        {
            var result = new ResultSlot { Kind = QueryKind.NotLeader, CorrelationId = correlationId, SessionId = session.Id, Results = [], Payload = [] };
            session.OnResult(in result);
        }
    }

    private void CreateAccountRequest(FixMessage m, int seq)
    {
        if (!RequireId(m, seq, FixTag.AccountId, out UInt128 id)
            || !RequireCurrency(m, seq, out FixCurrency currency)
            || !OptionalCode(m, seq, out ushort code))
        {
            return;
        }
        int flags = 0;
        if (m.Has(FixTag.AccountFlags) && (m.TryGetInt(FixTag.AccountFlags, out flags) != FixValue.Ok || flags > ushort.MaxValue))
        {
            _session.SendReject(seq, FixSessionRejectReason.IncorrectDataFormat, FixTag.AccountFlags, "AccountFlags (5021) must be an integer bit set 0..65535"u8);
            return;
        }
        if (!_session.Principal!.IsAdmin)
        {
            BusinessReject(m, seq, FixBusinessRejectReason.NotAuthorized, m.GetOrEmpty(FixTag.AccountId), "CreateAccountRequest needs the admin role"u8);
            return;
        }
        var account = new Account { Id = id, Ledger = currency.Ledger, Code = code, Flags = (AccountFlags)flags };
        MemoryMarshal.Write(_payload, in account);
        var pending = new PendingRequest { Kind = RequestKind.CreateAccount, Id = id, Ledger = currency.Ledger };
        Submit(m, seq, ref pending, (ushort)CommandKind.CreateAccounts, id, _payload.AsSpan(0, Account.SizeBytes), m.GetOrEmpty(FixTag.AccountId));
    }

    private void BalanceRequest(FixMessage m, int seq)
    {
        if (!RequireId(m, seq, FixTag.AccountId, out UInt128 id) || !RequireRequestId(m, seq)) return;
        if (!_session.Principal!.MayDebit(id))
        {
            BusinessReject(m, seq, FixBusinessRejectReason.NotAuthorized, m.GetOrEmpty(FixTag.WalletRequestId), "this partner is not granted AccountID (5020)"u8);
            return;
        }
        MemoryMarshal.Write(_payload, in id);
        var pending = new PendingRequest { Kind = RequestKind.Balance, Id = id };
        Submit(m, seq, ref pending, QueryKind.LookupAccounts, id, _payload.AsSpan(0, 16), m.GetOrEmpty(FixTag.WalletRequestId));
    }

    private void TransferStatusRequest(FixMessage m, int seq)
    {
        if (!RequireId(m, seq, FixTag.TransferId, out UInt128 id) || !RequireRequestId(m, seq)) return;
        MemoryMarshal.Write(_payload, in id);
        var pending = new PendingRequest { Kind = RequestKind.TransferStatus, Id = id };
        // Transfer ids do not name a partition (as for SBE LookupTransfers): with several, every partition is asked
        // and the gateway's fan-out table merges the answers into one.
        Submit(m, seq, ref pending, QueryKind.LookupTransfers, UInt128.Zero, _payload.AsSpan(0, 16), m.GetOrEmpty(FixTag.WalletRequestId),
            fanOut: _context.Router is { PartitionCount: > 1 });
    }

    private void Submit(FixMessage m, int seq, ref PendingRequest pending, ushort kind, UInt128 routingAccount, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> refId, bool fanOut = false)
    {
        if (!_context.IntakeOpen || _context.Router is null)
        {
            BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, refId, "gateway is shutting down; nothing applied"u8);
            return;
        }
        if (!TryTakeSlot(m, seq, refId, out long correlationId, out int slot)) return;
        ReadOnlySpan<byte> requestId = m.GetOrEmpty(FixTag.WalletRequestId);
        requestId.CopyTo(_requestIds.AsSpan(slot * MaxRequestIdBytes, MaxRequestIdBytes));
        pending.RequestIdLength = requestId.Length;
        pending.CorrelationId = correlationId;
        pending.RefSeq = seq;
        pending.BatchCount = 1;
        _pending[slot] = pending;
        Volatile.Write(ref _publishedCorrelationId, correlationId);

        int partition = routingAccount == UInt128.Zero ? 0 : _context.Router.PartitionOf(routingAccount);
        Interlocked.Increment(ref _inFlight);
        SubmitStatus status = fanOut ? FanOut(kind, correlationId, payload, out partition) : _context.Router.Submit(partition, kind, correlationId, _session.Id, payload);
        if (status == SubmitStatus.Accepted) return;
        if (status == SubmitStatus.NotLeader && !fanOut && TryForward(partition, kind, correlationId, 1, payload)) return;
        Interlocked.Decrement(ref _inFlight);
        Volatile.Write(ref _pending[slot].CorrelationId, 0);
        switch (status)
        {
            case SubmitStatus.Busy:
                BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, refId, "busy: the partition's ingress is full; nothing applied, retry"u8);
                break;
            case SubmitStatus.NotRunning:
                BusinessReject(m, seq, FixBusinessRejectReason.ApplicationNotAvailable, refId, "the partition is not running; nothing applied"u8);
                break;
            default:
                BusinessReject(m, seq, FixBusinessRejectReason.Other, refId, "the partition refused the request; nothing applied"u8);
                break;
        }
    }

    /// <summary>
    /// One read to every partition, merged by <see cref="Routing.FanOutTable"/> into one answer to this session. All or
    /// nothing: a partition that refuses makes the whole read refused (the parts already sent are answered and dropped).
    /// </summary>
    private SubmitStatus FanOut(ushort kind, long correlationId, ReadOnlySpan<byte> ids, out int refusedPartition)
    {
        Routing.IRequestRouter router = _context.Router!;
        refusedPartition = 0;
        long fanOutSession = _context.FanOuts.Open(_session.Id, correlationId, MemoryMarshal.Cast<byte, UInt128>(ids), router.PartitionCount);
        if (fanOutSession < 0) return SubmitStatus.Busy;
        for (int p = 0; p < router.PartitionCount; p++)
        {
            SubmitStatus status = router.Submit(p, kind, correlationId, fanOutSession, ids);
            if (status == SubmitStatus.Accepted) continue;
            // Led by another node: that node answers for this partition (FIX has no redirect).
            if (status == SubmitStatus.NotLeader && Routing.ForwardPolicy.TryForwardLookup(_context.FanOuts, router, _session.Principal!, p, fanOutSession, ids, clientCanMove: false)) continue;
            _context.FanOuts.Cancel(fanOutSession, submitted: p);
            refusedPartition = p;
            return status;
        }
        return SubmitStatus.Accepted;
    }

    // ---- field checks (each answers the partner itself when it fails) ---------------------------------------

    private bool RequireId(FixMessage m, int seq, int tag, out UInt128 id)
    {
        switch (m.TryGetUInt128(tag, out id))
        {
            case FixValue.Ok:
                if (id != UInt128.Zero) return true;
                _session.SendReject(seq, FixSessionRejectReason.ValueIsIncorrect, tag, "ids must not be 0"u8);
                return false;
            case FixValue.Missing:
                _session.SendReject(seq, FixSessionRejectReason.RequiredTagMissing, tag, "required tag missing"u8);
                return false;
            default:
                _session.SendReject(seq, FixSessionRejectReason.IncorrectDataFormat, tag, "ids are unsigned decimal integers below 2^128"u8);
                return false;
        }
    }

    private bool RequireRequestId(FixMessage m, int seq)
    {
        if (!m.TryGet(FixTag.WalletRequestId, out ReadOnlySpan<byte> v))
        {
            _session.SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.WalletRequestId, "required tag missing"u8);
            return false;
        }
        if (v.Length > MaxRequestIdBytes)
        {
            _session.SendReject(seq, FixSessionRejectReason.ValueIsIncorrect, FixTag.WalletRequestId, "WalletRequestID (5030) is longer than 64 bytes"u8);
            return false;
        }
        return true;
    }

    private bool RequireCurrency(FixMessage m, int seq, out FixCurrency currency)
    {
        currency = default;
        if (!m.TryGet(FixTag.Currency, out ReadOnlySpan<byte> symbol))
        {
            _session.SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.Currency, "required tag missing"u8);
            return false;
        }
        if (_server.TryGetCurrency(symbol, out currency)) return true;
        BusinessReject(m, seq, FixBusinessRejectReason.Other, symbol, "Currency (15) is not a configured ledger; nothing applied"u8);
        return false;
    }

    private bool RequireAmount(FixMessage m, int seq, FixCurrency currency, int refIdTag, out long amount)
    {
        amount = 0;
        if (!m.TryGet(FixTag.Amount, out ReadOnlySpan<byte> text))
        {
            _session.SendReject(seq, FixSessionRejectReason.RequiredTagMissing, FixTag.Amount, "required tag missing"u8);
            return false;
        }
        Span<char> chars = stackalloc char[40];
        if (text.Length > chars.Length)
        {
            _session.SendReject(seq, FixSessionRejectReason.IncorrectDataFormat, FixTag.Amount, "Amount (5004) is too long"u8);
            return false;
        }
        int n = FixText.Widen(text, chars);
        if (AmountText.TryParse(chars[..n], currency.Scale, out amount, out AmountParseError error)) return true;
        // A decimal the currency cannot hold exactly is refused, never rounded.
        Span<byte> reason = stackalloc byte[160];
        int length = FormatAmountError(reason, error, currency.Scale);
        BusinessReject(m, seq, FixBusinessRejectReason.Other, m.GetOrEmpty(refIdTag), reason[..length]);
        return false;
    }

    private static int FormatAmountError(Span<byte> destination, AmountParseError error, byte scale)
    {
        ReadOnlySpan<byte> prefix = "Amount (5004) rejected, nothing applied: "u8;
        prefix.CopyTo(destination);
        int n = prefix.Length;
        ReadOnlySpan<byte> what = error switch
        {
            AmountParseError.Empty => "empty"u8,
            AmountParseError.Negative => "negative"u8,
            AmountParseError.LeadingPlus => "leading '+'"u8,
            AmountParseError.TooManyDecimals => "more decimals than the currency's scale"u8,
            AmountParseError.Exponent => "exponent notation"u8,
            AmountParseError.Overflow => "too large"u8,
            AmountParseError.Whitespace => "whitespace"u8,
            AmountParseError.LeadingZero => "leading zero"u8,
            AmountParseError.NotANumber => "not a number"u8,
            _ => "not a plain decimal"u8,
        };
        what.CopyTo(destination[n..]);
        n += what.Length;
        if (error == AmountParseError.TooManyDecimals)
        {
            ReadOnlySpan<byte> s = " ("u8;
            s.CopyTo(destination[n..]);
            n += s.Length;
            destination[n++] = (byte)('0' + scale / 10 % 10);
            destination[n++] = (byte)('0' + scale % 10);
            ReadOnlySpan<byte> tail = ")"u8;
            tail.CopyTo(destination[n..]);
            n += tail.Length;
        }
        return n;
    }

    private bool OptionalCode(FixMessage m, int seq, out ushort code)
    {
        code = 1;
        if (!m.Has(FixTag.LedgerCode)) return true;
        if (m.TryGetInt(FixTag.LedgerCode, out int value) == FixValue.Ok && value is >= 1 and <= ushort.MaxValue)
        {
            code = (ushort)value;
            return true;
        }
        _session.SendReject(seq, FixSessionRejectReason.IncorrectDataFormat, FixTag.LedgerCode, "LedgerCode (5005) must be 1..65535"u8);
        return false;
    }

    private void BusinessReject(FixMessage m, int seq, FixBusinessRejectReason reason, ReadOnlySpan<byte> refId, ReadOnlySpan<byte> text)
    {
        ReadOnlySpan<byte> type = m.MsgType;
        BusinessReject(seq, type[..Math.Min(type.Length, 8)], reason, refId, text);
    }

    private void BusinessReject(int seq, ReadOnlySpan<byte> refMsgType, FixBusinessRejectReason reason, ReadOnlySpan<byte> refId, ReadOnlySpan<byte> text)
    {
        if (_context.Logger.IsEnabled(LogLevel.Information)) FixLog.BusinessRejected(_context.Logger, _session.Id, reason, seq, Encoding.ASCII.GetString(text));
        Span<byte> buffer = stackalloc byte[FixSession.MaxBodyBytes];
        var body = new FixBody(buffer);
        body.Add(FixTag.RefSeqNum, seq);
        body.Add(FixTag.RefMsgType, refMsgType);
        if (!refId.IsEmpty) body.Add(FixTag.BusinessRejectRefId, refId[..Math.Min(refId.Length, 64)]);
        body.Add(FixTag.BusinessRejectReason, (int)reason);
        body.Add(FixTag.Text, text);
        _session.Send(FixMsgType.BusinessMessageReject, body.Written, isApplication: true);
    }

    // ---- outbound (partition egress thread) -----------------------------------------------------------------

    public void OnResult(in ResultSlot result)
    {
        long first = result.CorrelationId;
        int firstSlot = (int)(first & _mask);
        if (Volatile.Read(ref _pending[firstSlot].CorrelationId) != first) return; // not ours (cannot happen: ids are per session)
        int count = Math.Max(1, _pending[firstSlot].BatchCount);
        for (int i = 0; i < count; i++)
        {
            int slot = (int)((first + i) & _mask);
            // One answer per item; a whole-command refusal (a single result for a batch) answers every item.
            ResultCode code = i < result.ResultCount ? result.Results[i].Code
                : result.ResultCount == 1 ? result.Results[0].Code : ResultCode.MalformedPayload;
            try
            {
                if (result.Kind == QueryKind.NotLeader) RefuseNotLeader(slot);
                else Report(slot, code, in result);
            }
#pragma warning disable CA1031 // The partition's egress thread must never be taken down by one session.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                FixLog.Failed(_context.Logger, _session.Id, ex);
            }
            finally
            {
                Volatile.Write(ref _pending[slot].CorrelationId, 0);
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    /// <summary>
    /// A replica that lost the leadership handed back a request consensus had already taken: it may still commit under
    /// the next leader, so its outcome is unknown (not "nothing applied"). The partner resends it to the leader, or asks
    /// with TransferStatusRequest; the same TransferID applies once (a repeat answers Exists).
    /// </summary>
    private void RefuseNotLeader(int slot)
    {
        PendingRequest pending = _pending[slot];
        ReadOnlySpan<byte> refMsgType = pending.Kind switch
        {
            RequestKind.CreateAccount => FixMsgType.CreateAccountRequest,
            RequestKind.Balance => FixMsgType.BalanceRequest,
            RequestKind.TransferStatus => FixMsgType.TransferStatusRequest,
            _ => FixMsgType.TransferRequest,
        };
        Span<byte> idText = stackalloc byte[40];
        pending.Id.TryFormat(idText, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        BusinessReject(pending.RefSeq, refMsgType, FixBusinessRejectReason.ApplicationNotAvailable, idText[..n],
            "no answer from the node leading the partition (it lost the leadership, or a request forwarded to it went unanswered): outcome unknown; resend it with the same id (it applies once) or ask with TransferStatusRequest"u8);
    }

    private void Report(int slot, ResultCode code, in ResultSlot result)
    {
        PendingRequest pending = _pending[slot];
        Span<byte> buffer = stackalloc byte[FixSession.MaxBodyBytes];
        var body = new FixBody(buffer);
        ReadOnlySpan<byte> requestId = _requestIds.AsSpan(slot * MaxRequestIdBytes, pending.RequestIdLength);
        ReadOnlySpan<byte> msgType;
        switch (pending.Kind)
        {
            case RequestKind.Transfer:
                msgType = FixMsgType.TransferReport;
                TransferFields(ref body, pending.Id, pending.Debit, pending.Credit, pending.Amount, pending.Ledger);
                Outcome(ref body, code, in result);
                break;
            case RequestKind.CreateAccount:
                msgType = FixMsgType.CreateAccountReport;
                body.AddId(FixTag.AccountId, pending.Id);
                if (_server.TryGetCurrency(pending.Ledger, out FixCurrency c)) body.Add(FixTag.Currency, c.Symbol);
                Outcome(ref body, code, in result);
                break;
            case RequestKind.Balance:
                msgType = FixMsgType.BalanceReport;
                BalanceFields(ref body, pending.Id, requestId, result);
                break;
            default:
                msgType = FixMsgType.TransferReport;
                StatusFields(ref body, pending.Id, requestId, result);
                break;
        }
        _session.Send(msgType, body.Written, isApplication: true);
    }

    private void TransferFields(ref FixBody body, UInt128 id, UInt128 debit, UInt128 credit, long amount, uint ledger)
    {
        body.AddId(FixTag.TransferId, id);
        body.AddId(FixTag.DebitAccount, debit);
        body.AddId(FixTag.CreditAccount, credit);
        if (_server.TryGetCurrency(ledger, out FixCurrency c))
        {
            body.AddAmount(FixTag.Amount, amount, c.Scale);
            body.Add(FixTag.Currency, c.Symbol);
        }
    }

    private static void Outcome(ref FixBody body, ResultCode code, in ResultSlot result)
    {
        body.Add(FixTag.OutcomeCode, (long)code);
        body.Add(FixTag.Text, OutcomeName(code));
        body.AddTime(FixTag.TransactTime, result.Timestamp);
        body.Add(FixTag.LogIndex, result.Index);
    }

    private void BalanceFields(ref FixBody body, UInt128 id, ReadOnlySpan<byte> requestId, in ResultSlot result)
    {
        body.Add(FixTag.WalletRequestId, requestId);
        body.AddId(FixTag.AccountId, id);
        if (result.PayloadLength < Account.SizeBytes)
        {
            body.Add(FixTag.OutcomeCode, (long)ResultCode.AccountNotFound);
            body.Add(FixTag.Text, OutcomeName(ResultCode.AccountNotFound));
            return;
        }
        Account a = MemoryMarshal.Read<Account>(result.PayloadSpan);
        if (!_server.TryGetCurrency(a.Ledger, out FixCurrency c)) c = new FixCurrency([], a.Ledger, 0);
        body.Add(FixTag.Currency, c.Symbol);
        body.AddAmount(FixTag.DebitsPosted, a.DebitsPosted, c.Scale);
        body.AddAmount(FixTag.CreditsPosted, a.CreditsPosted, c.Scale);
        body.AddAmount(FixTag.DebitsPending, a.DebitsPending, c.Scale);
        body.AddAmount(FixTag.CreditsPending, a.CreditsPending, c.Scale);
        // Balance = credits posted − debits posted (can be negative for system accounts; never overflows: both ≥ 0).
        body.AddAmount(FixTag.Balance, a.CreditsPosted - a.DebitsPosted, c.Scale);
        body.Add(FixTag.OutcomeCode, (long)ResultCode.Ok);
        body.Add(FixTag.Text, OutcomeName(ResultCode.Ok));
        body.AddTime(FixTag.TransactTime, result.Timestamp);
    }

    private void StatusFields(ref FixBody body, UInt128 id, ReadOnlySpan<byte> requestId, in ResultSlot result)
    {
        body.Add(FixTag.WalletRequestId, requestId);
        UserPrincipal principal = _session.Principal!;
        if (result.PayloadLength >= Transfer.SizeBytes)
        {
            Transfer t = MemoryMarshal.Read<Transfer>(result.PayloadSpan);
            // A partner only learns about transfers touching accounts it is granted.
            if (principal.IsAdmin || principal.MayDebit(t.DebitAccountId) || principal.MayDebit(t.CreditAccountId))
            {
                TransferFields(ref body, t.Id, t.DebitAccountId, t.CreditAccountId, t.Amount, t.Ledger);
                body.Add(FixTag.TransferStatus, 1);
                body.Add(FixTag.OutcomeCode, (long)ResultCode.Ok);
                body.Add(FixTag.Text, OutcomeName(ResultCode.Ok));
                body.AddTime(FixTag.TransactTime, t.Timestamp);
                return;
            }
        }
        body.AddId(FixTag.TransferId, id);
        body.Add(FixTag.TransferStatus, 0);
        body.Add(FixTag.Text, "transfer not found"u8);
    }

    private static ReadOnlySpan<byte> OutcomeName(ResultCode code)
    {
        uint i = (uint)code;
        return i < (uint)s_outcomeNames.Length && s_outcomeNames[i] is { } name ? name : "Unknown"u8;
    }

    private static byte[][] BuildOutcomeNames()
    {
        var names = new byte[400][];
        foreach (ResultCode c in Enum.GetValues<ResultCode>())
        {
            if ((uint)c < names.Length) names[(uint)c] = Encoding.ASCII.GetBytes(c.ToString());
        }
        return names;
    }
}
