using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wallet.Gateway.Tests.Support;

/// <summary>
/// The real <c>wallet serve</c> executable in a child process on a temp data directory and a given port (HTTP on an
/// ephemeral port): its output is captured, "listening" is awaited, and SIGTERM is sent like an operator would. Every
/// wait is bounded; a process still running at Dispose is killed.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    /// <summary>Start-up on a loaded 2-core runner (JIT, recovery, PBKDF2 users) can take tens of seconds.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _output = new();

    public ServeProcess(string dataDir, int port, params string[] extra)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "serve", "--data-dir", dataDir, "--port", port.ToString(CultureInfo.InvariantCulture), "--Http:Port=0", .. extra])
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _awaited = [];

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            foreach ((string text, TaskCompletionSource<string> seen) in _awaited)
            {
                if (line.Contains(text, StringComparison.Ordinal)) seen.TrySetResult(line);
            }
        }
        if (line.Contains("wallet serve: listening on", StringComparison.Ordinal)) _listening.TrySetResult(line);
    }

    /// <summary>The first output line containing <paramref name="text"/> (already printed or still to come), bounded.</summary>
    public async Task<string> LineAsync(string text)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            foreach (string line in _output.ToString().Split('\n'))
            {
                if (line.Contains(text, StringComparison.Ordinal)) return line;
            }
            _awaited.Add((text, seen));
        }
        return await seen.Task.WaitAsync(StartTimeout);
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The "listening on …" line.</summary>
    public async Task<string> ListeningAsync() => await _listening.Task.WaitAsync(StartTimeout);

    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        return await ExitAsync();
    }

    /// <summary>
    /// Sends SIGTERM every <paramref name="intervalMs"/> until the process exits (bounded): one of them lands in whatever
    /// start-up step is running, as an impatient operator's or an orchestrator's repeated stops would.
    /// </summary>
    public async Task<int> TerminateRepeatedlyAsync(int intervalMs)
    {
        long deadline = Environment.TickCount64 + (long)ExitTimeout.TotalMilliseconds;
        while (!_process.HasExited && Environment.TickCount64 < deadline)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            await Task.Delay(intervalMs);
        }
        return await ExitAsync();
    }

    public async Task<int> ExitAsync()
    {
        using var cts = new CancellationTokenSource(ExitTimeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }
}
