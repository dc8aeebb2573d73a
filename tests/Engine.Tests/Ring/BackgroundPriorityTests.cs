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
}
