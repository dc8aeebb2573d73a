using Wallet.Engine.Ring;

namespace Wallet.Engine.Tests.Ring;

public sealed class BackgroundPriorityTests
{
    /// <summary>The nice value of the calling thread, from /proc/thread-self/stat (field 19, after the command name).</summary>
    private static int CurrentThreadNice()
    {
        string stat = File.ReadAllText("/proc/thread-self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // field 19 overall = index 16 after "pid (comm)"
    }

    [Fact]
    public void Lowers_only_the_calling_thread_on_linux()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.False(BackgroundPriority.LowerCurrentThread());
            return;
        }
        int before = CurrentThreadNice();
        int lowered = int.MinValue, otherBefore = int.MinValue;
        bool applied = false;
        var thread = new Thread(() =>
        {
            otherBefore = CurrentThreadNice();
            applied = BackgroundPriority.LowerCurrentThread();
            lowered = CurrentThreadNice();
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)));
        Assert.True(applied);
        Assert.Equal(before, otherBefore); // a new thread starts at its creator's value
        Assert.Equal(Math.Max(otherBefore, BackgroundPriority.Nice), lowered); // never raised above where it started
        Assert.Equal(before, CurrentThreadNice()); // the caller of the test is untouched
    }

    [Fact]
    public void Lowers_the_threads_of_a_name_and_no_others()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.Equal(0, BackgroundPriority.LowerThreadsNamed("prio-named-"));
            return;
        }
        int before = CurrentThreadNice();
        using var release = new ManualResetEventSlim();
        using var ready = new CountdownEvent(3);
        int[] nice = new int[3];
        var threads = new Thread[3];
        for (int i = 0; i < 3; i++)
        {
            int k = i;
            // Two threads of the name, one of another (the native name is the managed one, cut to 15 bytes).
            threads[i] = new Thread(() =>
            {
                ready.Signal();
                release.Wait(TimeSpan.FromSeconds(10));
                nice[k] = CurrentThreadNice();
            }) { Name = k < 2 ? "prio-named-" + k : "prio-other-" + k, IsBackground = true };
            threads[i].Start();
        }
        Assert.True(ready.Wait(TimeSpan.FromSeconds(10)));
        Thread.Sleep(50); // the native names are set when the threads start running

        Assert.Equal(2, BackgroundPriority.LowerThreadsNamed("prio-named-"));
        release.Set();
        foreach (Thread t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(10)));
        Assert.Equal(Math.Max(before, BackgroundPriority.Nice), nice[0]);
        Assert.Equal(Math.Max(before, BackgroundPriority.Nice), nice[1]);
        Assert.Equal(before, nice[2]);
        Assert.Equal(before, CurrentThreadNice());
    }
}
