using System.Diagnostics;
using Wallet.Client;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// What the load generator's SDK did over one measured phase: this process's CPU time per transfer (user + system, all
/// threads: pacer, SDK loops, completions — the load generator's whole cost), socket writes and frames per transfer,
/// and the share of transfers written by the caller's thread (the SDK's direct send).
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

    public void Report(ScenarioResult result, string group, WalletClient[] clients, long transfers)
    {
        using var self = Process.GetCurrentProcess();
        double cpuUs = (self.TotalProcessorTime - _cpu).TotalMicroseconds;
        (long writes, long frames, long direct) = Sum(clients);
        if (transfers <= 0) return;
        result.Add(group, "load generator CPU per transfer", cpuUs / transfers, "us/tx");
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
