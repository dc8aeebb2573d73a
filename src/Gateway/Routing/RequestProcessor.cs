using System.Runtime.InteropServices;
using System.Text;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Codec;
using Wallet.Gateway.Sessions;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Turns one validated frame into an action, on the session's receive loop: logon, heartbeat, logout, or a request
/// that is authorised as a whole, re-encoded into the ledger's 128-byte structs in the session's scratch buffer and
/// offered to its partition without blocking. A request is either submitted whole or refused whole; one whose items
/// live on several partitions is split into one command per partition (RequestProcessor.Split.cs).
/// </summary>
internal sealed partial class RequestProcessor(GatewayContext context)
{
    private const TransferFlags TwoPhaseSecondStep = TransferFlags.PostPendingTransfer | TransferFlags.VoidPendingTransfer;

    public void Handle(Session session, ReadOnlySpan<byte> message)
    {
        RejectReason invalid = RequestLayout.Validate(message, out ushort templateId, out int items, out ReadOnlySpan<byte> text);
        ulong correlationId = RequestLayout.PeekCorrelationId(message, templateId);
        if (invalid != RejectReason.NULL_VALUE)
        {
            session.SendReject(correlationId, invalid, templateId, text);
            return;
        }
        if (templateId == LogonDecoder.TemplateId)
        {
            Logon(session, message);
            return;
        }
        if (session.State != SessionState.LoggedOn)
        {
            session.SendReject(correlationId, RejectReason.NotLoggedOn, templateId, "log on first"u8);
            return;
        }
        switch (templateId)
        {
            case HeartbeatDecoder.TemplateId:
                return; // its arrival already refreshed the idle clock
            case LogoutDecoder.TemplateId:
                session.Close("logout acknowledged");
                return;
        }
        if (session.Principal!.IsSystem && templateId is not (SystemTransfersDecoder.TemplateId or SystemCreateAccountsDecoder.TemplateId))
        {
            // A peer's saga sequencer needs nothing else; least privilege if its credential leaks.
            session.SendReject(correlationId, RejectReason.Unauthorized, templateId, "a session of the system role may send only SystemTransfers and SystemCreateAccounts; nothing applied"u8);
            return;
        }
        if (session.Principal!.IsPeer && templateId is not (CreateTransfersDecoder.TemplateId or CreateAccountsDecoder.TemplateId
                or CloseAccountsDecoder.TemplateId or LookupAccountsDecoder.TemplateId or PeerLookupTransfersDecoder.TemplateId))
        {
            // Another node's gateway forwards only these (and has checked its own client's rights for them).
            session.SendReject(correlationId, RejectReason.Unauthorized, templateId, "a session of the peer role may send only CreateTransfers, CreateAccounts, CloseAccounts, LookupAccounts and PeerLookupTransfers (forwarded by another node's gateway); nothing applied"u8);
            return;
        }
        if (templateId is GetHistoryDecoder.TemplateId or GetBalanceAtDecoder.TemplateId)
        {
            // Answered by the gateway from the read model, not by the partition.
            ViewQueries.Answer(context, session, templateId, correlationId, message);
            return;
        }
        if (!context.IntakeOpen || context.Router is null)
        {
            session.SendReject(correlationId, RejectReason.NotRunning, templateId, "gateway is shutting down"u8);
            return;
        }
        if (items == 0)
        {
            session.SendReject(correlationId, RejectReason.EmptyBatch, templateId, "a request needs at least one item"u8);
            return;
        }
        if (items > context.Options.MaxBatchSize)
        {
            session.SendReject(correlationId, RejectReason.BatchTooLarge, templateId, "more items than maxBatchSize"u8);
            return;
        }

        UserPrincipal principal = session.Principal!;
        int partition;
        int payloadBytes;
        ushort kind;
        switch (templateId)
        {
            case CreateAccountsDecoder.TemplateId:
                if (!principal.ActsAsAdmin)
                {
                    session.SendReject(correlationId, RejectReason.Unauthorized, templateId, "CreateAccounts needs the admin role"u8);
                    return;
                }
                kind = (ushort)CommandKind.CreateAccounts;
                if (TranslateAccounts(message, session, out partition, out payloadBytes))
                {
                    SubmitSplit(session, templateId, correlationId, kind, items, Account.SizeBytes);
                    return;
                }
                break;
            case CloseAccountsDecoder.TemplateId:
                if (!principal.ActsAsAdmin)
                {
                    session.SendReject(correlationId, RejectReason.Unauthorized, templateId, "CloseAccounts needs the admin role"u8);
                    return;
                }
                kind = (ushort)CommandKind.CloseAccounts;
                if (TranslateIds(message, session, principal, checkGrant: false, out partition, out payloadBytes, out _))
                {
                    SubmitSplit(session, templateId, correlationId, kind, items, 16);
                    return;
                }
                break;
            case CreateTransfersDecoder.TemplateId:
                TransferCheck check = TranslateTransfers(message, session, principal, out partition, out payloadBytes);
                if (check == TransferCheck.Unauthorized)
                {
                    session.SendReject(correlationId, RejectReason.Unauthorized, templateId, "a transfer debits an account this user may not debit (post/void must name its debit account); nothing applied"u8);
                    return;
                }
                kind = (ushort)CommandKind.CreateTransfers;
                if (check == TransferCheck.Split)
                {
                    // One transfer across partitions, alone: the seam's own path (its answer is the saga's outcome).
                    if (items == 1) CrossPartition(session, templateId, correlationId);
                    else SubmitSplit(session, templateId, correlationId, kind, items, Transfer.SizeBytes);
                    return;
                }
                break;
            case SystemTransfersDecoder.TemplateId:
            case SystemCreateAccountsDecoder.TemplateId:
                // A peer's saga sequencer: step transfers, or the clearing accounts they need, for the partition named.
                bool steps = templateId == SystemTransfersDecoder.TemplateId;
                if (!principal.IsSystem)
                {
                    session.SendReject(correlationId, RejectReason.Unauthorized, templateId, steps
                        ? "SystemTransfers needs the system role (a peer node's saga sequencer); nothing applied"u8
                        : "SystemCreateAccounts needs the system role (a peer node's saga sequencer); nothing applied"u8);
                    return;
                }
                SystemTransfersCheck system = steps
                    ? SystemTransfersTranslator.Translate(message, session.Scratch, context.Router, out partition, out payloadBytes)
                    : SystemTransfersTranslator.TranslateAccounts(message, session.Scratch, context.Router, out partition, out payloadBytes);
                if (system == SystemTransfersCheck.PartitionOutOfRange)
                {
                    session.SendReject(correlationId, RejectReason.InvalidField, templateId, "partition is not below this node's partition count; nothing applied"u8);
                    return;
                }
                if (system == SystemTransfersCheck.ForeignAccount)
                {
                    session.SendReject(correlationId, RejectReason.InvalidField, templateId, steps
                        ? "an item names an account that lives on another partition than the request's: items of one SystemTransfers must all live on its partition; nothing applied"u8
                        : "an account id lives on another partition than the request's; nothing applied"u8);
                    return;
                }
                kind = steps ? (ushort)CommandKind.SystemTransfers : (ushort)CommandKind.SystemCreateAccounts;
                break;
            case LookupAccountsDecoder.TemplateId:
                bool split = TranslateIds(message, session, principal, checkGrant: !principal.ActsAsAdmin, out partition, out payloadBytes, out bool denied);
                if (denied)
                {
                    session.SendReject(correlationId, RejectReason.Unauthorized, templateId, "lookup of an account this user is not granted"u8);
                    return;
                }
                kind = QueryKind.LookupAccounts;
                if (split)
                {
                    SubmitSplit(session, templateId, correlationId, kind, items, 16);
                    return;
                }
                break;
            case PeerLookupTransfersDecoder.TemplateId:
                // Another node's gateway asking one partition's leader (a transfer lookup it fans out): this partition only,
                // answered only if led here, so the forwarding node knows what the answer covers. Never fanned out again.
                if (!principal.IsPeer)
                {
                    session.SendReject(correlationId, RejectReason.Unauthorized, templateId, "PeerLookupTransfers needs the peer role (another node's gateway); send LookupTransfers"u8);
                    return;
                }
                PeerLookupTransfersDecoder.TryWrapWithHeader(message, 0, out PeerLookupTransfersDecoder peerLookup);
                partition = peerLookup.Partition;
                if (partition >= context.Router.PartitionCount)
                {
                    session.SendReject(correlationId, RejectReason.InvalidField, templateId, "partition is not below this node's partition count"u8);
                    return;
                }
                payloadBytes = CopyIds(message, session.Scratch);
                kind = QueryKind.LookupTransfers;
                break;
            case LookupTransfersDecoder.TemplateId:
                // Transfer ids do not name a partition: ids are taken as they are, and with several partitions the read
                // goes to every partition and the answers are merged.
                payloadBytes = CopyIds(message, session.Scratch);
                if (context.Router.PartitionCount > 1)
                {
                    FanOut(session, templateId, correlationId, session.Scratch.AsSpan(0, payloadBytes));
                    return;
                }
                partition = 0;
                kind = QueryKind.LookupTransfers;
                break;
            default:
                session.SendReject(correlationId, RejectReason.UnknownTemplate, templateId, "template is not a request"u8);
                return;
        }

        Submit(session, templateId, correlationId, kind, partition, session.Scratch.AsSpan(0, payloadBytes));
    }

    private void Submit(Session session, ushort templateId, ulong correlationId, ushort kind, int partition, ReadOnlySpan<byte> payload)
    {
        if (!session.TryAcquireInFlight())
        {
            session.SendReject(correlationId, RejectReason.TooManyInFlight, templateId, "maxInFlight requests already awaiting results"u8);
            return;
        }
        GatewayMetrics.Requests.Add(1, GatewayMetrics.Sbe);
        IRequestRouter router = context.Router!;
        SubmitStatus status = router.Submit(partition, kind, (long)correlationId, session.Id, payload);
        if (status == SubmitStatus.Accepted) return;
        session.ReleaseInFlight();
        if (status == SubmitStatus.NotLeader && ForwardPolicy.TargetFor(router, session.Principal!, kind, router.LeaderOf(partition)) is LeaderInfo node)
        {
            ForwardWhole(session, templateId, correlationId, kind, partition, payload, node);
            return;
        }
        AnswerRefused(session, templateId, correlationId, status, partition);
    }

    /// <summary>The answer to a request none of which a partition took (nothing was queued, nothing applied).</summary>
    private static void AnswerRefused(Session session, ushort templateId, ulong correlationId, SubmitStatus status, int partition)
    {
        switch (status)
        {
            case SubmitStatus.Busy:
                session.SendBusy(correlationId);
                break;
            case SubmitStatus.NotLeader:
                session.SendNotLeader(correlationId, partition);
                break;
            case SubmitStatus.TooLarge:
                session.SendReject(correlationId, RejectReason.BatchTooLarge, templateId, "request larger than the partition accepts"u8);
                break;
            case SubmitStatus.UnknownKind:
                session.SendReject(correlationId, RejectReason.UnknownTemplate, templateId, "the partition does not accept this request"u8);
                break;
            default:
                session.SendReject(correlationId, RejectReason.NotRunning, templateId, "the partition is not running"u8);
                break;
        }
    }

    /// <summary>
    /// A request of one transfer whose accounts live on different partitions (in the scratch's first slot): it goes to
    /// the router's cross-partition seam, whose completion answers like a partition would. Inside a larger request such
    /// a transfer is one part of a split (RequestProcessor.Split.cs).
    /// </summary>
    private void CrossPartition(Session session, ushort templateId, ulong correlationId)
    {
        ICrossPartitionTransfers cross = context.Router!.CrossPartition;
        if (!cross.Enabled)
        {
            session.SendReject(correlationId, RejectReason.InvalidField, templateId, CrossPartitionRefusal);
            return;
        }
        Transfer transfer = MemoryMarshal.Cast<byte, Transfer>(session.Scratch.AsSpan())[0];
        if ((transfer.Flags & TransferFlags.Linked) != 0)
        {
            session.SendReject(correlationId, RejectReason.InvalidField, templateId, "a linked chain cannot span partitions; nothing applied"u8);
            return;
        }
        if (!session.TryAcquireInFlight())
        {
            session.SendReject(correlationId, RejectReason.TooManyInFlight, templateId, "maxInFlight requests already awaiting results"u8);
            return;
        }
        GatewayMetrics.Requests.Add(1, GatewayMetrics.Sbe);
        // One per session (its first cross-partition transfer makes it): outcomes carry their correlation id.
        SessionCrossPartitionCompletion completion = session.CrossPartitionCompletion ??= new SessionCrossPartitionCompletion(context.Results, session.Id);
        CrossPartitionSubmit status = cross.TrySubmit(in transfer, (long)correlationId, completion);
        if (status == CrossPartitionSubmit.Accepted) return;
        session.ReleaseInFlight();
        IRequestRouter router = context.Router!;
        if (status == CrossPartitionSubmit.NotLeader && ForwardPolicy.TargetFor(router, session.Principal!, (ushort)CommandKind.CreateTransfers, cross.Leader) is LeaderInfo node)
        {
            // The coordinator's leader is another node (and leaderships are spread): it takes the transfer from there.
            ForwardWhole(session, templateId, correlationId, (ushort)CommandKind.CreateTransfers, router.PartitionOf(transfer.DebitAccountId),
                session.Scratch.AsSpan(0, Transfer.SizeBytes), node);
            return;
        }
        AnswerCrossRefused(session, templateId, correlationId, status, cross);
    }

    private void Logon(Session session, ReadOnlySpan<byte> message)
    {
        LogonDecoder.TryWrapWithHeader(message, 0, out LogonDecoder logon);
        ulong correlationId = logon.CorrelationId;
        if (session.State != SessionState.AwaitingLogon)
        {
            session.SendReject(correlationId, RejectReason.AlreadyLoggedOn, LogonDecoder.TemplateId, "this session is already logged on"u8);
            return;
        }
        uint requestedHeartbeatMs = logon.HeartbeatIntervalMs;
        ReadOnlySpan<byte> clientId = logon.GetClientIdBytes();
        ReadOnlySpan<byte> credential = logon.GetCredentialBytes();
        if (clientId.IsEmpty)
        {
            session.SendLogonReject(correlationId, RejectReason.InvalidField, "clientId is empty"u8);
            session.Close("logon refused: empty clientId");
            return;
        }
        if (!context.TryBeginLogon())
        {
            // Too many password checks running: the client retries; the session stays open, awaiting logon.
            session.SendBusy(correlationId);
            return;
        }
        UserPrincipal? principal;
        try
        {
            context.PasswordCheckHook?.Invoke(Encoding.UTF8.GetString(clientId));
            principal = context.Users.Authenticate(clientId, credential);
        }
        finally
        {
            context.EndLogon();
        }
        if (principal is null)
        {
            GatewayLog.LogonRefused(context.Logger, session.Id, Encoding.UTF8.GetString(clientId));
            session.SendLogonReject(correlationId, RejectReason.BadCredentials, "unknown user or wrong password"u8);
            session.Close("logon refused: bad credentials");
            return;
        }
        if (!ServesClients(context.Router))
        {
            // A follower's gateway does not serve clients: send them to the leader (or Busy during an election).
            // The session stays open, awaiting logon, so a client may also just retry here.
            session.SendNotLeader(correlationId, partition: 0);
            return;
        }
        GatewayOptions o = context.Options;
        int heartbeatMs = requestedHeartbeatMs == 0
            ? o.HeartbeatIntervalMs
            : (int)Math.Clamp(requestedHeartbeatMs, (uint)o.MinHeartbeatIntervalMs, (uint)o.MaxHeartbeatIntervalMs);
        session.CompleteLogon(principal, heartbeatMs);
        GatewayLog.LoggedOn(context.Logger, session.Id, principal.Name, heartbeatMs);
        session.SendLogonAck(correlationId);
    }

    /// <summary>
    /// A node that leads no partition sends clients away at logon (to partition 0's leader). One that leads at least
    /// one serves them: a request for a partition led elsewhere then gets Redirect/Busy (NotLeader) on its own.
    /// </summary>
    private static bool ServesClients(IRequestRouter? router)
    {
        if (router is null) return true;
        for (int p = 0; p < router.PartitionCount; p++)
        {
            if (router.LeaderOf(p).IsLocal) return true;
        }
        // The leader of a replicated cross-partition coordinator serves cross-partition transfers whatever partitions it
        // leads: clients redirected here for one must be able to log on (else logon and transfer redirect each other).
        ICrossPartitionTransfers cross = router.CrossPartition;
        return cross.Enabled && cross.Leader.IsLocal && router.PartitionCount > 1;
    }

    /// <summary>Translates the accounts into the scratch; true when they live on several partitions (split the request).</summary>
    private bool TranslateAccounts(ReadOnlySpan<byte> message, Session session, out int partition, out int payloadBytes)
    {
        CreateAccountsDecoder.TryWrapWithHeader(message, 0, out CreateAccountsDecoder decoder);
        Span<Account> accounts = MemoryMarshal.Cast<byte, Account>(session.Scratch.AsSpan());
        IRequestRouter router = context.Router!;
        partition = -1;
        bool split = false;
        int n = 0;
        var group = decoder.Accounts();
        while (group.MoveNext())
        {
            var account = new Account
            {
                Id = Id(group.Id),
                UserData128 = Id(group.UserData128),
                UserData64 = group.UserData64,
                UserData32 = group.UserData32,
                Ledger = group.Ledger,
                Code = group.Code,
                Flags = (AccountFlags)group.Flags,
            };
            Track(session, ref partition, ref split, n, router.PartitionOf(account.Id), crossItem: false);
            accounts[n++] = account;
        }
        payloadBytes = n * Account.SizeBytes;
        return split;
    }

    private enum TransferCheck { Ok, Unauthorized, Split }

    private TransferCheck TranslateTransfers(ReadOnlySpan<byte> message, Session session, UserPrincipal principal, out int partition, out int payloadBytes)
    {
        CreateTransfersDecoder.TryWrapWithHeader(message, 0, out CreateTransfersDecoder decoder);
        Span<Transfer> transfers = MemoryMarshal.Cast<byte, Transfer>(session.Scratch.AsSpan());
        IRequestRouter router = context.Router!;
        partition = -1;
        payloadBytes = 0;
        bool split = false;
        int n = 0;
        var group = decoder.Transfers();
        while (group.MoveNext())
        {
            var transfer = new Transfer
            {
                Id = Id(group.Id),
                DebitAccountId = Id(group.DebitAccountId),
                CreditAccountId = Id(group.CreditAccountId),
                Amount = group.Amount,
                PendingId = Id(group.PendingId),
                UserData128 = Id(group.UserData128),
                UserData64 = group.UserData64,
                UserData32 = group.UserData32,
                TimeoutSeconds = group.TimeoutSeconds,
                Ledger = group.Ledger,
                Code = group.Code,
                Flags = (TransferFlags)group.Flags,
            };
            // Post/void from a client must name the pending's debit account: the ledger then refuses a mismatch
            // (PendingTransferHasDifferentDebitAccountId), so a client can only settle holds on accounts it may debit.
            if (!principal.ActsAsAdmin && (transfer.DebitAccountId == UInt128.Zero || !principal.MayDebit(transfer.DebitAccountId)))
                return TransferCheck.Unauthorized;
            int p = -1; // an admin's post/void naming no account: it goes with the request's first partition
            bool cross = false;
            if ((transfer.Flags & TwoPhaseSecondStep) == 0 || transfer.DebitAccountId != UInt128.Zero)
            {
                p = router.PartitionOf(transfer.DebitAccountId);
                // Both accounts of one transfer must share the partition to be one atomic command; otherwise it is a
                // cross-partition transfer for the saga seam. A post/void names the accounts of its pending, which did.
                cross = transfer.CreditAccountId != UInt128.Zero && router.PartitionOf(transfer.CreditAccountId) != p;
            }
            Track(session, ref partition, ref split, n, p, cross);
            transfers[n++] = transfer;
        }
        if (partition < 0) partition = 0;
        payloadBytes = n * Transfer.SizeBytes;
        return split ? TransferCheck.Split : TransferCheck.Ok;
    }

    /// <summary>
    /// Item <paramref name="index"/> lives on partition <paramref name="p"/> (-1: it names none and goes with the
    /// request's first partition), or is a transfer across partitions. Nothing is written while every item shares one
    /// partition (the common case costs nothing); from the first that does not, each item's partition is recorded in
    /// the session's <see cref="SplitBuffers"/> and the request is split.
    /// </summary>
    private static void Track(Session session, ref int partition, ref bool split, int index, int p, bool crossItem)
    {
        if (!split)
        {
            if (!crossItem && (p < 0 || partition < 0 || p == partition))
            {
                if (partition < 0) partition = p;
                return;
            }
            split = true;
            if (partition < 0) partition = p;
            session.SplitBuffers.ItemPartition.AsSpan(0, index).Fill(partition);
        }
        session.SplitBuffers.ItemPartition[index] = crossItem ? SplitBuffers.CrossPartitionItem : p >= 0 ? p : partition;
    }

    /// <summary>
    /// The three id-list requests (LookupAccounts, LookupTransfers, CloseAccounts) share one layout: root block with
    /// correlationId, then a group whose entries start with an Id128. The generated decoders of those groups are
    /// distinct ref struct types, so the already validated layout is read directly: header, root block (acting
    /// length), group dimension, entries of the wire's block length. Id128 is low-then-high little-endian, which is
    /// exactly a little-endian UInt128: copied as is. True when the ids live on several partitions (split the request).
    /// </summary>
    private bool TranslateIds(ReadOnlySpan<byte> message, Session session, UserPrincipal principal, bool checkGrant, out int partition, out int payloadBytes, out bool denied)
    {
        var header = new MessageHeaderDecoder(message, 0);
        int groupOffset = Protocol.Sbe.ProtocolSchema.MessageHeaderLength + header.BlockLength;
        var dimension = new GroupSizeEncodingDecoder(message, groupOffset);
        int entryBlock = dimension.BlockLength;
        int count = dimension.NumInGroup;
        Span<UInt128> ids = MemoryMarshal.Cast<byte, UInt128>(session.Scratch.AsSpan());
        IRequestRouter router = context.Router!;
        partition = -1;
        denied = false;
        bool split = false;
        int entry = groupOffset + 4;
        for (int i = 0; i < count; i++, entry += entryBlock)
        {
            var wire = new Id128Decoder(message, entry);
            UInt128 id = new(wire.High, wire.Low);
            if (checkGrant && !principal.MayDebit(id))
            {
                denied = true;
                payloadBytes = 0;
                return false;
            }
            Track(session, ref partition, ref split, i, router.PartitionOf(id), crossItem: false);
            ids[i] = id;
        }
        payloadBytes = count * 16;
        return split;
    }

    private static UInt128 Id(Id128Decoder id) => new(id.High, id.Low);

    /// <summary>The ids of an id-list request (layout validated already), as little-endian UInt128s; returns bytes written.</summary>
    private static int CopyIds(ReadOnlySpan<byte> message, byte[] scratch)
    {
        var header = new MessageHeaderDecoder(message, 0);
        int groupOffset = Protocol.Sbe.ProtocolSchema.MessageHeaderLength + header.BlockLength;
        var dimension = new GroupSizeEncodingDecoder(message, groupOffset);
        Span<UInt128> ids = MemoryMarshal.Cast<byte, UInt128>(scratch.AsSpan());
        int entry = groupOffset + 4;
        for (int i = 0; i < dimension.NumInGroup; i++, entry += dimension.BlockLength)
        {
            var wire = new Id128Decoder(message, entry);
            ids[i] = new UInt128(wire.High, wire.Low);
        }
        return dimension.NumInGroup * 16;
    }

    /// <summary>One read to every partition; <see cref="FanOutTable"/> merges the answers into one. All or nothing: if a
    /// partition is busy the client gets Busy and the answers of the parts already sent are dropped.</summary>
    private void FanOut(Session session, ushort templateId, ulong correlationId, ReadOnlySpan<byte> ids)
    {
        if (!session.TryAcquireInFlight())
        {
            session.SendReject(correlationId, RejectReason.TooManyInFlight, templateId, "maxInFlight requests already awaiting results"u8);
            return;
        }
        IRequestRouter router = context.Router!;
        long fanOutSession = context.FanOuts.Open(session.Id, (long)correlationId, MemoryMarshal.Cast<byte, UInt128>(ids), router.PartitionCount);
        if (fanOutSession < 0)
        {
            session.ReleaseInFlight();
            session.SendBusy(correlationId);
            return;
        }
        for (int p = 0; p < router.PartitionCount; p++)
        {
            SubmitStatus status = router.Submit(p, QueryKind.LookupTransfers, (long)correlationId, fanOutSession, ids);
            if (status == SubmitStatus.Accepted) continue;
            // Led by another node (and leaderships spread): that node answers for this partition.
            if (status == SubmitStatus.NotLeader && ForwardPolicy.TryForwardLookup(context.FanOuts, router, session.Principal!, p, fanOutSession, ids, clientCanMove: true)) continue;
            context.FanOuts.Cancel(fanOutSession, submitted: p);
            session.ReleaseInFlight();
            if (status == SubmitStatus.NotLeader) session.SendNotLeader(correlationId, p);
            else if (status == SubmitStatus.Busy) session.SendBusy(correlationId);
            else session.SendReject(correlationId, RejectReason.NotRunning, templateId, "a partition is not running"u8);
            return;
        }
    }
}
