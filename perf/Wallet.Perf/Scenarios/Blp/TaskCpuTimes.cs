namespace Wallet.Perf.Scenarios.Blp;

/// <summary>
/// CPU time (user + system) of this process's threads by name, from /proc/self/task/*/stat (Linux; empty
/// elsewhere), in ns with 10 ms resolution. Used around the pipeline phases to report CPU per transfer of each
/// partition stage (BLP, sequencer, egress): unlike wall-clock throughput, it does not depend on how much of the
/// two cores other processes took. Allocates (file reads): call it outside the allocation-measured window.
/// </summary>
internal static class TaskCpuTimes
{
    private const long NsPerClockTick = 10_000_000; // USER_HZ = 100 on Linux

    public static Dictionary<string, long> Snapshot()
    {
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc/self/task")) return byName;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                int open = stat.IndexOf('(', StringComparison.Ordinal);
                int close = stat.LastIndexOf(')');
                if (open < 0 || close < open) continue;
                string name = stat[(open + 1)..close];
                string[] fields = stat[(close + 2)..].Split(' ');
                // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (proc(5)).
                long ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                    + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                byName[name] = byName.GetValueOrDefault(name) + ticks * NsPerClockTick;
            }
            catch (IOException)
            {
                // The thread ended between listing and reading: it contributes nothing.
            }
        }
        return byName;
    }

    /// <summary>CPU ns per item for each thread whose name ends with one of <paramref name="suffixes"/>.</summary>
    public static IEnumerable<(string Suffix, double NsPerItem)> PerItem(Dictionary<string, long> before, Dictionary<string, long> after, long items, params string[] suffixes)
    {
        foreach (string suffix in suffixes)
        {
            long ns = 0;
            foreach ((string name, long value) in after)
                if (name.EndsWith(suffix, StringComparison.Ordinal)) ns += value - before.GetValueOrDefault(name);
            yield return (suffix, items == 0 ? 0 : (double)ns / items);
        }
    }
}
