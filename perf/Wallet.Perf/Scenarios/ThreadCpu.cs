using System.Globalization;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// CPU time (user + system) of the calling thread, from /proc/thread-self/stat (Linux; 0 elsewhere). Lets a phase
/// subtract the open-loop pacer — which yields in a loop while it waits for the next send time, so its CPU says nothing
/// about the SDK — from the load generator's CPU. Resolution: the kernel's clock tick (10 ms at USER_HZ 100).
/// </summary>
internal static class ThreadCpu
{
    private const double TicksPerSecond = 100; // USER_HZ: the unit of utime/stime in /proc on Linux

    public static TimeSpan Current()
    {
        string text;
        try
        {
            text = File.ReadAllText("/proc/thread-self/stat");
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
        catch (UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
        }
        // "tid (comm) state ppid …": comm may hold spaces, so count fields after its closing parenthesis.
        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
