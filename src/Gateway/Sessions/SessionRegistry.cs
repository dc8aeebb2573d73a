using System.Collections.Concurrent;

namespace Wallet.Gateway.Sessions;

/// <summary>
/// Live sessions by id: the egress thread finds the owner of a result here (a lock-free, allocation-free read).
/// </summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<long, IGatewaySession> _sessions = new();
    private long _lastId;

    public int Count => _sessions.Count;

    /// <summary>Session ids are never reused within a process, so a late result can never reach the wrong session.</summary>
    public long NextId() => Interlocked.Increment(ref _lastId);

    public void Add(IGatewaySession session) => _sessions[session.Id] = session;

    public void Remove(IGatewaySession session) => _sessions.TryRemove(new KeyValuePair<long, IGatewaySession>(session.Id, session));

    public bool TryGet(long sessionId, out IGatewaySession session) => _sessions.TryGetValue(sessionId, out session!);

    /// <summary>A point-in-time copy for housekeeping (not on a hot path).</summary>
    public IGatewaySession[] Snapshot() => [.. _sessions.Values];
}
