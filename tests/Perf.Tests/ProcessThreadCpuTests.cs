using System.Diagnostics;
using Wallet.Perf.Scenarios;

namespace Wallet.Perf.Tests;

/// <summary>The per-thread CPU split of the in-process scenarios attributes a thread's work to the role its name maps to.</summary>
public sealed class ProcessThreadCpuTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_named_threads_work_lands_in_its_role()
    {
        await Task.Yield();
        if (!OperatingSystem.IsLinux()) return; // /proc only
        long checksum = 0;
        using var stop = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var live = new Thread(() =>
        {
            started.Set();
            var clock = Stopwatch.StartNew();
            long x = 1;
            while (clock.ElapsedMilliseconds < 300)
            {
                for (int i = 0; i < 100_000; i++) x = (x * 6364136223846793005L) + 1442695040888963407L;
            }
            Volatile.Write(ref checksum, x);
            stop.Wait(TimeSpan.FromSeconds(10)); // stays alive (blocked) for the second snapshot
        }) { Name = "cpu-test-live" };
        live.Start();
        started.Wait(TimeSpan.FromSeconds(10));
        ProcessThreadCpu from = ProcessThreadCpu.Snapshot();
        while (live.ThreadState != System.Threading.ThreadState.WaitSleepJoin) Thread.Sleep(10);
        ProcessThreadCpu to = ProcessThreadCpu.Snapshot();
        stop.Set();
        live.Join();

        List<(string Role, double Seconds)> seen = to.Since(from, name => name == "cpu-test-live" ? "live" : "rest");
        (string role, double seconds) = seen.Single(r => r.Role == "live");
        Assert.InRange(seconds, 0.15, 5);
        Assert.Equal("live", role);
        Assert.NotEqual(0, Volatile.Read(ref checksum));
    }
}
