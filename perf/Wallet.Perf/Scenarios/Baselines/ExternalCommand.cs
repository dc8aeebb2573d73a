using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// Runs one external program (apt-get, initdb, pg_ctl …) to completion with a hard time limit. A program that does
/// not finish in time is killed with its children and reported, so a missing network or a held apt lock becomes an
/// error message instead of a hang.
/// </summary>
internal static class ExternalCommand
{
    /// <summary>Output kept per command; more is cut (a failing apt-get can print a lot).</summary>
    private const int MaxOutputChars = 64 * 1024;

    /// <summary>Runs <paramref name="program"/>; returns its combined output, or throws <see cref="BaselineException"/> on a non-zero exit or a timeout.</summary>
    public static string Run(string program, IReadOnlyList<string> arguments, int timeoutS, TextWriter log, IReadOnlyDictionary<string, string>? environment = null)
    {
        string commandLine = program + " " + string.Join(' ', arguments);
        log.WriteLine($"[baseline] $ {commandLine}");
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (KeyValuePair<string, string> e in environment) psi.Environment[e.Key] = e.Value;
        }
        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is null) return;
            lock (output)
            {
                if (output.Length < MaxOutputChars) output.AppendLine(line);
            }
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new BaselineException($"could not start '{program}'");
        }
        catch (Win32Exception e)
        {
            throw new BaselineException($"could not start '{program}': {e.Message}", e);
        }
        using (process)
        {
            process.StandardInput.Close(); // nothing may wait for a prompt answer
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(timeoutS * 1000))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit(5000);
                throw new BaselineException($"'{commandLine}' did not finish within {timeoutS} s and was killed (no network or package mirror? a held lock?). Output:\n{Text(output)}");
            }
            process.WaitForExit(); // flushes the asynchronous output readers
            if (process.ExitCode != 0)
            {
                throw new BaselineException($"'{commandLine}' failed with exit code {process.ExitCode}. Output:\n{Text(output)}");
            }
            return Text(output);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output) return output.ToString();
    }
}
