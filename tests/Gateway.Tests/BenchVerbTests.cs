using System.Diagnostics;

namespace Wallet.Gateway.Tests;

/// <summary>`wallet bench` finds the benchmark harness and passes its output and exit code through; a missing one is a clear error.</summary>
public sealed class BenchVerbTests
{
    private static async Task<(int ExitCode, string Output, string Error)> Bench(string harness, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "wallet.dll"));
        psi.ArgumentList.Add("bench");
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["WALLET_PERF_DLL"] = harness;
        using Process p = Process.Start(psi)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task A_missing_harness_is_reported_with_how_to_build_it()
    {
        (int code, _, string error) = await Bench("/nonexistent/Wallet.Perf.dll", "ring");
        Assert.Equal(3, code);
        Assert.Contains("was not found", error, StringComparison.Ordinal);
        Assert.Contains("dotnet build perf/Wallet.Perf -c Release", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_harness_runs_with_the_arguments_given_and_its_exit_code_is_passed_through()
    {
        // Any program stands in for the harness: here the wallet executable itself. With no arguments bench asks the
        // harness for its help (exit 0); an unknown verb fails in the stand-in's parser (non-zero, passed through).
        string standIn = Path.Combine(AppContext.BaseDirectory, "wallet.dll");
        (int helpCode, string help, _) = await Bench(standIn);
        Assert.Equal(0, helpCode);
        Assert.Contains("serve", help, StringComparison.Ordinal);
        (int badCode, _, _) = await Bench(standIn, "no-such-verb");
        Assert.NotEqual(0, badCode);
    }
}
