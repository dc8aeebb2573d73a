using System.Globalization;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// CPU time (user + system) of every thread of this process, from /proc/self/task/*/stat (Linux; empty elsewhere),
/// grouped by role from the thread's name. Two snapshots around a measured window say where an in-process
/// benchmark's CPU went (e.g. the saga coordinator against the partitions' BLPs). Resolution: USER_HZ ticks (10 ms);
/// threads that end inside the window are lost, so read it for windows of seconds with long-lived threads.
/// </summary>
internal sealed class ProcessThreadCpu
{
    private const double TicksPerSecond = 100; // USER_HZ: the unit of utime/stime in /proc on Linux

    private readonly Dictionary<int, (string Name, long Ticks)> _threads;

    private ProcessThreadCpu(Dictionary<int, (string, long)> threads) => _threads = threads;

    public static ProcessThreadCpu Snapshot()
    {
        var threads = new Dictionary<int, (string, long)>();
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories("/proc/self/task");
        }
        catch (IOException)
        {
            return new ProcessThreadCpu(threads);
        }
        catch (UnauthorizedAccessException)
        {
            return new ProcessThreadCpu(threads);
        }
        foreach (string task in tasks)
        {
            try
            {
                string text = File.ReadAllText(Path.Combine(task, "stat"));
                // "tid (comm) state …": comm may hold spaces and parentheses, so split around the last ')'.
                int open = text.IndexOf('(');
                int close = text.LastIndexOf(')');
                string[] fields = text[(close + 2)..].Split(' ');
                long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                threads[int.Parse(text.AsSpan(0, open - 1), CultureInfo.InvariantCulture)] = (text[(open + 1)..close], ticks);
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }
        return new ProcessThreadCpu(threads);
    }

    /// <summary>CPU seconds per role between <paramref name="before"/> and this snapshot (roles in first-seen order).</summary>
    public List<(string Role, double Seconds)> Since(ProcessThreadCpu before, Func<string, string> roleOf)
    {
        var order = new List<string>();
        var seconds = new Dictionary<string, double>();
        foreach ((int tid, (string name, long ticks)) in _threads)
        {
            long was = before._threads.TryGetValue(tid, out var b) && b.Name == name ? b.Ticks : 0;
            if (ticks <= was) continue;
            string role = roleOf(name);
            if (!seconds.ContainsKey(role))
            {
                order.Add(role);
                seconds[role] = 0;
            }
            seconds[role] += (ticks - was) / TicksPerSecond;
        }
        var result = new List<(string, double)>(order.Count);
        foreach (string role in order) result.Add((role, seconds[role]));
        result.Sort(static (a, b) => b.Item2.CompareTo(a.Item2));
        return result;
    }
}
