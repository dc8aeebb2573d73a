using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wallet.Cluster.Tests;

/// <summary>
/// `wallet cluster …` as a child process for the process tests: every output line collected (and handed to a callback
/// under the output's lock), stopped with SIGTERM and awaited (bounded) by <see cref="StopAsync"/>.
/// </summary>
internal sealed class ClusterProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ClusterProcess(Process process) => _process = process;

    /// <summary>Starts `dotnet wallet.dll cluster <paramref name="arguments"/>`; <paramref name="onLine"/> sees each line (under the output lock).</summary>
    public static ClusterProcess Start(IEnumerable<string> arguments, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wallet.dll"));
        psi.ArgumentList.Add("cluster");
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        var cluster = new ClusterProcess(Process.Start(psi)!);
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (cluster._output)
            {
                cluster._output.AppendLine(line);
                onLine?.Invoke(line);
            }
        }
        cluster._process.OutputDataReceived += (_, e) => OnLine(e.Data);
        cluster._process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        cluster._process.BeginOutputReadLine();
        cluster._process.BeginErrorReadLine();
        return cluster;
    }

    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>SIGTERM (every node stops cleanly), then waits at most 60 s for the exit.</summary>
    public async Task StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(cts.Token);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
