using System.Net;
using Microsoft.Extensions.Logging;

namespace Wallet.Gateway.Fix;

/// <summary>Structured log events of the FIX acceptor (source-generated).</summary>
internal static partial class FixLog
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "FIX acceptor listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, EndPoint endpoint);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "FIX session {SessionId} logged on: {Sender}->{Target} as {User} (HeartBtInt {HeartBtInt} s, in {InSeq}, out {OutSeq}{Reset})")]
    public static partial void LoggedOn(ILogger logger, long sessionId, string sender, string target, string user, int heartBtInt, int inSeq, int outSeq, string reset);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "FIX session {SessionId}: logon refused: {Reason}")]
    public static partial void LogonRefused(ILogger logger, long sessionId, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "FIX session {SessionId} closing: {Reason}")]
    public static partial void Closing(ILogger logger, long sessionId, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "FIX session {SessionId}: garbled message ignored ({Status}, {Bytes} bytes dropped)")]
    public static partial void Garbled(ILogger logger, long sessionId, FixFrameStatus status, int bytes);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "FIX session {SessionId}: sent Reject 373={Reason} for seq {RefSeq}: {Text}")]
    public static partial void Rejected(ILogger logger, long sessionId, FixSessionRejectReason reason, int refSeq, string text);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "FIX session {SessionId}: sent BusinessMessageReject 380={Reason} for seq {RefSeq}: {Text}")]
    public static partial void BusinessRejected(ILogger logger, long sessionId, FixBusinessRejectReason reason, int refSeq, string text);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "FIX session {SessionId}: gap, expected {Expected} received {Received}: ResendRequest sent")]
    public static partial void Gap(ILogger logger, long sessionId, int expected, int received);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "FIX session {SessionId}: ResendRequest {Begin}..{End}: {Resent} resent, {GapFilled} gap-filled")]
    public static partial void Resent(ILogger logger, long sessionId, int begin, int end, int resent, int gapFilled);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "FIX session {SessionId} failed handling a message")]
    public static partial void Failed(ILogger logger, long sessionId, Exception exception);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "FIX session {SessionId}: peer Reject received for seq {RefSeq}")]
    public static partial void PeerReject(ILogger logger, long sessionId, int refSeq);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "FIX store {Store}: {SeqNumsPath} says next outgoing MsgSeqNum {SeqNumsNext} but {LastStored} is already stored (its last writes did not reach the disk): continuing at {NextSender}")]
    public static partial void StoreSeqNumsBehind(ILogger logger, string store, string seqNumsPath, int seqNumsNext, int lastStored, int nextSender);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "FIX store {Store}: {SeqNumsPath} {Problem}; next outgoing MsgSeqNum derived from {MessagesPath} (last stored {LastStored}): {NextSender}; next expected incoming unknown, restarts at {NextTarget} (the partner's messages are re-requested at logon; a TransferID seen before moves no money again)")]
    public static partial void StoreSeqNumsUnusable(ILogger logger, string store, string seqNumsPath, string problem, string messagesPath, int lastStored, int nextSender, int nextTarget);

    [LoggerMessage(EventId = 114, Level = LogLevel.Error, Message = "FIX store {Store}: sync to stable storage failed; nothing more is sent from this store until the gateway restarts")]
    public static partial void StoreSyncFailed(ILogger logger, string store, Exception exception);

    [LoggerMessage(EventId = 115, Level = LogLevel.Error, Message = "FIX session {SessionId}: the store could not be synced; connection dropped before sending (the partner resends after its next logon)")]
    public static partial void SendBlockedBySync(ILogger logger, long sessionId, Exception exception);

    [LoggerMessage(EventId = 116, Level = LogLevel.Information, Message = "FIX session {SessionId}: a {MsgType} answer arrived after the store closed at shutdown and was not stored; the partner's request stays re-requested at its next logon and is answered from the ledger then")]
    public static partial void NotStoredAtShutdown(ILogger logger, long sessionId, string msgType);
}
