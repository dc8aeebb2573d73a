namespace Wallet.Engine.Partition;

/// <summary>
/// Lets a thread that delivers results outside a partition's egress batches — a saga driver completing the
/// cross-partition transfers a round decided — hand them to <see cref="IPartitionResultHandler"/>s as one batch:
/// inside <see cref="Begin"/>/<see cref="End"/> a completion queues its result without the end-of-batch flush and
/// registers its handler (<see cref="TryDefer"/>); <see cref="End"/> flushes each registered handler once. Why: the
/// SBE gateway flushes a session per end of batch, so a round of 1,000 sagas answered one by one cost 1,000 send
/// system calls on the driver's thread (docs/BENCHMARKS.md §22), where one per session suffices.
/// Thread-static and bounded: outside a burst, or past <see cref="MaxHandlers"/> distinct handlers, a completion flushes
/// at once as before — correct either way, only more sends.
/// </summary>
public static class ResultBurst
{
    /// <summary>Distinct handlers one burst remembers (a node has one result handler per front end).</summary>
    public const int MaxHandlers = 4;

    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static IPartitionResultHandler?[]? t_handlers;
    [ThreadStatic] private static int t_count;

    /// <summary>True while this thread is inside a burst.</summary>
    public static bool IsOpen => t_depth > 0;

    /// <summary>Opens a burst on this thread (nests; the outermost <see cref="End"/> flushes).</summary>
    public static void Begin() => t_depth++;

    /// <summary>
    /// Inside a burst: remembers <paramref name="handler"/> for the flush at <see cref="End"/> and returns true — the
    /// caller then passes <c>endOfBatch: false</c>. Outside one, or when the burst already holds
    /// <see cref="MaxHandlers"/> others, returns false: the caller flushes now (<c>endOfBatch: true</c>).
    /// </summary>
    public static bool TryDefer(IPartitionResultHandler handler)
    {
        if (t_depth == 0) return false;
        IPartitionResultHandler?[] handlers = t_handlers ??= new IPartitionResultHandler?[MaxHandlers];
        for (int i = 0; i < t_count; i++)
        {
            if (ReferenceEquals(handlers[i], handler)) return true;
        }
        if (t_count == handlers.Length) return false;
        handlers[t_count++] = handler;
        return true;
    }

    /// <summary>Closes the burst; the outermost close flushes every handler a completion deferred to it.</summary>
    public static void End()
    {
        if (t_depth == 0) throw new InvalidOperationException("ResultBurst.End without Begin on this thread");
        if (--t_depth > 0) return;
        IPartitionResultHandler?[]? handlers = t_handlers;
        int count = t_count;
        t_count = 0;
        for (int i = 0; i < count; i++)
        {
            IPartitionResultHandler handler = handlers![i]!;
            handlers[i] = null;
            handler.EndOfBatch();
        }
    }
}
