namespace Wallet.Perf.Harness;

/// <summary>Context printed with results so figures from a busy machine are recognisable as such.</summary>
internal static class MachineInfo
{
    /// <summary>The 1/5/15-minute load averages from /proc/loadavg, or "n/a" off Linux.</summary>
    public static string LoadAverage()
    {
        const string path = "/proc/loadavg";
        if (!File.Exists(path))
        {
            return "n/a";
        }
        string[] parts = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 3 ? $"{parts[0]} {parts[1]} {parts[2]}" : "n/a";
    }
}
