using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Wallet.Fix.Tests.Support;

/// <summary>
/// Builds tests/Fix.Interop/initiator.cpp with g++ against QuickFIX C++ (Debian libquickfix-dev), once per source
/// version. When the toolchain is missing it tries to install it (root only); if that is impossible the interop test
/// fails under CI (CI=true) and is skipped elsewhere.
/// </summary>
public static class Toolchain
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static string? s_built;

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Engine.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Dictionary => Path.Combine(RepoRoot, "docs", "fix", "WALLET-FIX44.xml");

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static bool Present => File.Exists("/usr/include/quickfix/Session.h") && FindOnPath("g++") is not null;

    /// <summary>The initiator executable, or null (with a reason) when the toolchain cannot be had.</summary>
    public static async Task<(string? Path, string Reason)> InitiatorAsync()
    {
        await s_gate.WaitAsync();
        try
        {
            if (s_built is not null) return (s_built, "");
            if (!Present)
            {
                (int rc, string output) = await RunAsync("bash", ["-c", "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libquickfix-dev g++) 2>&1 | tail -5"], 600_000);
                if (!Present) return (null, $"libquickfix-dev/g++ missing and could not be installed (rc {rc}): {output}");
            }
            string source = Path.Combine(RepoRoot, "tests", "Fix.Interop", "initiator.cpp");
            string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(source)))[..16];
            string dir = Path.Combine(Path.GetTempPath(), "wallet-tests", "fix-initiator-" + hash);
            Directory.CreateDirectory(dir);
            string exe = Path.Combine(dir, "initiator");
            if (!File.Exists(exe))
            {
                string tmp = exe + "." + Environment.ProcessId;
                (int rc, string output) = await RunAsync("g++", ["-std=c++14", "-O1", "-Wno-deprecated", "-o", tmp, source, "-lquickfix", "-lpthread"], 300_000);
                if (rc != 0) throw new InvalidOperationException("g++ failed:\n" + output);
                File.Move(tmp, exe, overwrite: true);
            }
            s_built = exe;
            return (exe, "");
        }
        finally
        {
            s_gate.Release();
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, int timeoutMs)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + file);
        var output = new StringBuilder();
        var lockObj = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lockObj) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lockObj) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            lock (lockObj) return (-1, output + $"\n[killed after {timeoutMs} ms]");
        }
        process.WaitForExit();
        lock (lockObj) return (process.ExitCode, output.ToString());
    }

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
