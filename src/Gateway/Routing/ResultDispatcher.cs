using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The partition's result handler: runs on its egress thread, finds the owning session and encodes the response into
/// that session's bounded outbound buffer. Never touches a socket and never waits on one: a session whose buffer is
/// full is cut (slow consumer) rather than slowing the partition down.
/// </summary>
internal sealed class ResultDispatcher(SessionRegistry sessions, FanOutTable fanOuts) : IPartitionResultHandler
{
    private long _orphaned;

    /// <summary>Results whose session had gone (disconnected before its answer came). The client re-reads by id.</summary>
    public long OrphanedResults => Volatile.Read(ref _orphaned);

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        // Internal queries (e.g. the partition's own snapshot nudge) carry no session.
        if (result.SessionId <= 0) return;
        if (FanOutTable.IsFanOut(result.SessionId))
        {
            fanOuts.OnPartial(ref result);
            return;
        }
        if (!sessions.TryGet(result.SessionId, out IGatewaySession session))
        {
            Interlocked.Increment(ref _orphaned);
            return;
        }
        session.OnResult(in result);
    }
}
