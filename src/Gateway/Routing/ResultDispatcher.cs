using Wallet.Engine.Partition;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Routing;

/// <summary>
/// The partition's result handler: runs on its egress thread, finds the owning session and encodes the response into
/// that session's bounded outbound buffer. Never waits on a socket: a session whose buffer is full is cut (slow
/// consumer) rather than slowing the partition down. SBE sessions are flushed once per egress batch: the answers a
/// batch queued for a session leave in one non-blocking send from this thread when that session's writer loop is idle
/// (<see cref="Session.FlushResults"/>), otherwise through the writer loop.
/// </summary>
internal sealed class ResultDispatcher(SessionRegistry sessions, FanOutTable fanOuts, SplitTable splits) : IPartitionResultHandler
{
    /// <summary>Sessions remembered per batch; past this a session is flushed at once (still correct, one more send).</summary>
    internal const int MaxTouchedPerBatch = 64;

    // One list per egress thread: several partitions (and the saga coordinator's completions) call in concurrently.
    [ThreadStatic] private static Session?[]? t_touched;
    [ThreadStatic] private static int t_touchedCount;

    private long _orphaned;

    /// <summary>Results whose session had gone (disconnected before its answer came). The client re-reads by id.</summary>
    public long OrphanedResults => Volatile.Read(ref _orphaned);

    public void OnResult(ref ResultSlot result, bool endOfBatch)
    {
        Dispatch(ref result);
        if (endOfBatch) EndOfBatch();
    }

    private void Dispatch(ref ResultSlot result)
    {
        // Internal queries (e.g. the partition's own snapshot nudge) carry no session.
        if (result.SessionId <= 0) return;
        if (FanOutTable.IsFanOut(result.SessionId))
        {
            fanOuts.OnPartial(ref result);
            return;
        }
        if (SplitTable.IsSplit(result.SessionId))
        {
            splits.OnPartial(ref result);
            return;
        }
        if (!sessions.TryGet(result.SessionId, out IGatewaySession session))
        {
            Interlocked.Increment(ref _orphaned);
            return;
        }
        if (session is Session sbe)
        {
            if (sbe.QueueResult(in result)) Touch(sbe);
            return;
        }
        session.OnResult(in result);
    }

    private static void Touch(Session session)
    {
        Session?[] touched = t_touched ??= new Session?[MaxTouchedPerBatch];
        for (int i = 0; i < t_touchedCount; i++)
        {
            if (ReferenceEquals(touched[i], session)) return;
        }
        if (t_touchedCount == touched.Length)
        {
            session.FlushResults();
            return;
        }
        touched[t_touchedCount++] = session;
    }

    /// <summary>
    /// The end of an egress batch on this thread: flush every session it queued answers for. Also called by
    /// <see cref="ResultFanout"/> when the batch's last result belonged to another front end.
    /// </summary>
    public void EndOfBatch()
    {
        Session?[]? touched = t_touched;
        int count = t_touchedCount;
        if (touched is null || count == 0) return;
        t_touchedCount = 0;
        for (int i = 0; i < count; i++)
        {
            touched[i]!.FlushResults();
            touched[i] = null;
        }
    }
}
