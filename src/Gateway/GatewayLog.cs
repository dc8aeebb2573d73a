using System.Net;
using Microsoft.Extensions.Logging;

namespace Wallet.Gateway;

/// <summary>Structured log events of the gateway (source-generated: no boxing, no formatting when disabled).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Gateway listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, EndPoint endpoint);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Session {SessionId} connected from {Remote}")]
    public static partial void Connected(ILogger logger, long sessionId, EndPoint? remote);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Session {SessionId} logged on as {User} (heartbeat {HeartbeatIntervalMs} ms)")]
    public static partial void LoggedOn(ILogger logger, long sessionId, string user, int heartbeatIntervalMs);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Session {SessionId}: logon refused for {User}")]
    public static partial void LogonRefused(ILogger logger, long sessionId, string user);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Session {SessionId} closing: {Reason}")]
    public static partial void Closing(ILogger logger, long sessionId, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Session {SessionId} is a slow consumer ({PendingBytes} bytes queued): disconnecting")]
    public static partial void SlowConsumer(ILogger logger, long sessionId, int pendingBytes);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Session {SessionId}: rejected template {TemplateId}: {Reason}")]
    public static partial void Rejected(ILogger logger, long sessionId, ushort templateId, Wallet.Protocol.Sbe.RejectReason reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Session {SessionId} I/O ended with an error")]
    public static partial void IoError(ILogger logger, long sessionId, Exception exception);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Connection refused: {MaxSessions} sessions already open")]
    public static partial void TooManySessions(ILogger logger, int maxSessions);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Accept loop failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Gateway stopped")]
    public static partial void Stopped(ILogger logger);
}
