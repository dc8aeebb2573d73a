using System.CommandLine;
using System.Diagnostics;

namespace Wallet.Host.Commands;

/// <summary>
/// <c>wallet bench SCENARIO [options]</c> or <c>wallet bench all [--quick]</c>: runs the benchmark harness (perf/Wallet.Perf) — the same program as
/// <c>dotnet run -c Release --project perf/Wallet.Perf -- …</c>. The harness is found through the WALLET_PERF_DLL
/// environment variable, next to this executable, or in a source checkout (perf/Wallet.Perf/bin/Release/net10.0)
/// above this executable or the working directory. Its output and exit code are passed through.
/// </summary>
internal static class BenchCommand
{
    private const string DllName = "Wallet.Perf.dll";
    private static readonly string s_checkoutPath = Path.Combine("perf", "Wallet.Perf", "bin", "Release", "net10.0", DllName);

    public static Command Create()
    {
        var command = new Command("bench", "Run a benchmark scenario (hiccup, echo, ring, journal, blp, e2e, replicated, raft-core, snapshot-install, fix, http, readmodel, readmodel-lag, saga, cluster-saga, baseline-postgres, baseline-redis) or 'all [--quick]' (every scenario; table, .hgrm, JSON and plots into --out-dir, default ./bench-out/<utc-stamp>); 'wallet bench help' lists them and their options")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, ct) => RunAsync(parse.UnmatchedTokens, ct));
        return command;
    }

    /// <summary>Where the harness is, or null with the places looked at.</summary>
    internal static string? Locate(out List<string> lookedAt)
    {
        lookedAt = [];
        string? fromEnv = Environment.GetEnvironmentVariable("WALLET_PERF_DLL");
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            lookedAt.Add(fromEnv);
            return File.Exists(fromEnv) ? Path.GetFullPath(fromEnv) : null;
        }
        string beside = Path.Combine(AppContext.BaseDirectory, DllName);
        lookedAt.Add(beside);
        if (File.Exists(beside)) return beside;
        foreach (string start in (string[])[AppContext.BaseDirectory, Directory.GetCurrentDirectory()])
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (!File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) continue;
                string candidate = Path.Combine(dir.FullName, s_checkoutPath);
                lookedAt.Add(candidate);
                if (File.Exists(candidate)) return candidate;
                break;
            }
        }
        return null;
    }

    private static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        string? harness = Locate(out List<string> lookedAt);
        if (harness is null)
        {
            Console.Error.WriteLine($"wallet bench: the benchmark harness ({DllName}) was not found; looked at: {string.Join(", ", lookedAt)}.");
            Console.Error.WriteLine("Build it in a source checkout with: dotnet build perf/Wallet.Perf -c Release (or set WALLET_PERF_DLL).");
            return ExitCodes.StartupFailed;
        }
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        psi.ArgumentList.Add(harness);
        foreach (string a in args.Count == 0 ? ["--help"] : args) psi.ArgumentList.Add(a);
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reaches the harness too (same process group); give it a moment to print what it has.
            if (!process.WaitForExit(TimeSpan.FromSeconds(10))) process.Kill(entireProcessTree: true);
        }
        return process.ExitCode;
    }
}
