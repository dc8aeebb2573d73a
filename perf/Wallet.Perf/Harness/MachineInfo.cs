using System.Runtime.InteropServices;

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

    /// <summary>The CPU's model name from /proc/cpuinfo, or the architecture off Linux.</summary>
    public static string CpuModel()
    {
        const string path = "/proc/cpuinfo";
        if (File.Exists(path))
        {
            foreach (string line in File.ReadLines(path))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0) return line[(colon + 1)..].Trim();
                }
            }
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>Memory the runtime may use (bytes): the machine's, or the container limit.</summary>
    public static long TotalMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    public static string Os() => RuntimeInformation.OSDescription;

    public static string Runtime() => RuntimeInformation.FrameworkDescription;
}
