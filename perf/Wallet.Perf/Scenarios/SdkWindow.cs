using System.Diagnostics;
using Wallet.Client;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// What the load generator's SDK did over one measured phase: this process's CPU time per transfer (user + system, all
/// threads: pacer, SDK loops, completions — the load generator's whole cost; and without the open-loop pacer thread),
/// socket writes and frames per transfer, and the share of transfers written by the caller's thread (direct send).
/// </summary>
internal readonly struct SdkWindow
{
    private readonly TimeSpan _cpu;
    private readonly long _writes;
    private readonly long _frames;
    private readonly long _direct;

    private SdkWindow(TimeSpan cpu, long writes, long frames, long direct)
    {
        _cpu = cpu;
        _writes = writes;
        _frames = frames;
        _direct = direct;
    }

    public static SdkWindow Start(WalletClient[] clients)
    {
        (long writes, long frames, long direct) = Sum(clients);
        using var self = Process.GetCurrentProcess();
        return new SdkWindow(self.TotalProcessorTime, writes, frames, direct);
    }

    /// <summary>
    /// Adds the phase's figures. The open-loop pacer thread's CPU (<paramref name="pacerCpu"/>; zero for the closed loop)
    /// is subtracted for the "pacing excluded" figure — it yields in a loop between sends and so burns whatever the other
    /// threads leave — except the wall time it spent inside the SDK's submit calls (<paramref name="submitTicks"/>, where
    /// a direct send does its work), which is added back; as wall time it also counts any preemption inside a call,
    /// which weighs against the direct path.
    /// </summary>
    public void Report(ScenarioResult result, string group, WalletClient[] clients, long transfers, TimeSpan pacerCpu = default,
        long submitTicks = 0)
    {
        using var self = Process.GetCurrentProcess();
        double cpuUs = (self.TotalProcessorTime - _cpu).TotalMicroseconds;
        (long writes, long frames, long direct) = Sum(clients);
        if (transfers <= 0) return;
        result.Add(group, "load generator CPU per transfer", cpuUs / transfers, "us/tx");
        if (pacerCpu > TimeSpan.Zero)
        {
            double submitUs = submitTicks * 1e6 / Stopwatch.Frequency;
            result.Add(group, "load generator CPU per transfer, pacing excluded", (cpuUs - pacerCpu.TotalMicroseconds + submitUs) / transfers, "us/tx");
            result.Add(group, "SDK submit call per transfer (caller's thread, wall)", submitUs / transfers, "us/tx");
        }
        result.Add(group, "SDK socket writes per transfer", (double)(writes - _writes) / transfers, "writes/tx");
        result.Add(group, "SDK request frames per transfer", (double)(frames - _frames) / transfers, "frames/tx");
        result.Add(group, "SDK direct sends per transfer", (double)(direct - _direct) / transfers, "sends/tx");
    }

    private static (long Writes, long Frames, long Direct) Sum(WalletClient[] clients)
    {
        long writes = 0, frames = 0, direct = 0;
        foreach (WalletClient c in clients)
        {
            (long w, long f) = c.RequestWriteStats;
            writes += w;
            frames += f;
            direct += c.DirectSendStats.Sends;
        }
        return (writes, frames, direct);
    }
}
