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

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.Contains("wallet serve: listening on", StringComparison.Ordinal)) _listening.TrySetResult(line);
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>The "listening on …" line.</summary>
    public async Task<string> ListeningAsync() => await _listening.Task.WaitAsync(StartTimeout);

    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
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
