using Wallet.Engine.Partition;

namespace Wallet.Gateway.Sessions;

/// <summary>
/// What the shared registry, the result dispatcher and the housekeeping timer need from a connection, whatever its
/// wire protocol (SBE <see cref="Session"/> or FIX <see cref="Fix.FixSession"/>): both kinds draw ids from one
/// counter, so a partition result always reaches the session that submitted it.
/// </summary>
internal interface IGatewaySession
{
    long Id { get; }

    /// <summary>On the partition's egress thread: the answer to one of this session's requests. Must not block.</summary>
    void OnResult(in ResultSlot result);

    /// <summary>Housekeeping timer: logon timeout, heartbeats, idle timeout, close linger.</summary>
    void Tick(long nowTicks);

    /// <summary>Graceful close with a reason sent to the peer.</summary>
    void Close(string reason);

    /// <summary>Drops the connection now.</summary>
    void Abort();
}
