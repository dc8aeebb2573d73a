namespace Wallet.Engine;

/// <summary>
/// Runs one piece of bulk start-up work on several cores: part 0 on the caller's thread, the others on dedicated threads
/// (not the thread pool), joined before it returns. For the journal's open (segments checked in parallel) and the first
/// touch of large tables; never on a request path. The work must not throw: a throw on a helper thread would end the
/// process, so callers keep their errors per part and report them after the join.
/// </summary>
internal static class ParallelWork
{
    /// <summary>Never more threads than this for one piece of work (the caller's included).</summary>
    public const int MaxThreads = 4;

    /// <summary>Threads worth using for bulk work on this machine: one per core, at most <see cref="MaxThreads"/>.</summary>
    public static int Threads => Math.Min(Environment.ProcessorCount, MaxThreads);

    /// <summary>Runs <paramref name="part"/>(0 … <paramref name="parts"/> − 1), each on its own thread but the first.</summary>
    public static void Run(int parts, string threadName, Action<int> part)
    {
        if (parts <= 1)
        {
            part(0);
            return;
        }

        var helpers = new Thread[parts - 1];
        for (int t = 1; t < parts; t++)
        {
            int index = t;
            helpers[t - 1] = new Thread(() => part(index)) { IsBackground = true, Name = threadName };
            helpers[t - 1].Start();
        }
        part(0);
        foreach (Thread helper in helpers) helper.Join();
    }
}
