using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// A throw-away <c>redis-server</c> child process on 127.0.0.1 and a free port, with its working directory in a fresh
/// temp directory. Persistence is either off (no RDB, no AOF) or AOF with <c>appendfsync everysec</c>. Killed and
/// deleted by <see cref="Dispose"/>.
/// </summary>
internal sealed class RedisInstance : IDisposable
{
    private const int StartTimeoutS = 30;
    private const int StopTimeoutMs = 10_000;

    private readonly Process _process;
    private readonly string _dir;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RedisInstance(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>"redis-server --version" output, for the notes.</summary>
    public static string Version(TextWriter log) => ExternalCommand.Run(FindOrInstall(log), ["--version"], 30, log).Trim();

    public static RedisInstance Start(bool appendOnly, TextWriter log)
    {
        string program = FindOrInstall(log);
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf-redis-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        int port = FreePort.Next();
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        foreach (string a in (string[])["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--dir", dir,
            "--daemonize", "no", "--protected-mode", "yes", "--logfile", "", "--save", "",
            "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "everysec"])
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new BaselineException("could not start redis-server");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Directory.Delete(dir, recursive: true);
            throw new BaselineException($"could not start {program}: {e.Message}", e);
        }
        var instance = new RedisInstance(process, dir, port);
        process.OutputDataReceived += (_, e) => instance.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => instance.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (!instance._ready.Task.Wait(TimeSpan.FromSeconds(StartTimeoutS)))
            {
                throw new BaselineException(process.HasExited
                    ? $"redis-server exited with code {process.ExitCode} before it was ready:\n{instance.Output}"
                    : $"redis-server was not ready within {StartTimeoutS} s:\n{instance.Output}");
            }
        }
        catch
        {
            instance.Dispose();
            throw;
        }
        log.WriteLine($"[baseline-redis] redis-server pid {process.Id} on 127.0.0.1:{port}, {(appendOnly ? "AOF everysec" : "persistence off")}, dir {dir}");
        return instance;
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(StopTimeoutMs);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _process.Dispose();
        try
        {
            if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // a file still held for a moment: a temp directory, left for the OS
        }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Length < 64 * 1024) _output.AppendLine(line);
        }
        if (line.Contains("Ready to accept connections", StringComparison.Ordinal)) _ready.TrySetResult();
    }

    private static string FindOrInstall(TextWriter log) =>
        DebianPackage.EnsureProgram("redis-server", () => DebianPackage.FirstExisting("/usr/bin/redis-server", "/usr/local/bin/redis-server"), log);
}
