namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>Installs a Debian package with apt-get when a program it provides is missing. Every step has a time limit.</summary>
internal static class DebianPackage
{
    private const int UpdateTimeoutS = 300;
    private const int InstallTimeoutS = 600;

    /// <summary>Returns the path <paramref name="find"/> reports, installing <paramref name="package"/> first if none exists.</summary>
    public static string EnsureProgram(string package, Func<string?> find, TextWriter log)
    {
        string? found = find();
        if (found is not null) return found;
        log.WriteLine($"[baseline] {package} is not installed; installing it from Debian's packages (apt-get, needs root and the package mirror)");
        if (!File.Exists("/usr/bin/apt-get"))
        {
            throw new BaselineException($"{package} is not installed and there is no apt-get on this machine: install {package} by hand");
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["DEBIAN_FRONTEND"] = "noninteractive" };
        try
        {
            // The lock timeout makes apt wait a bounded time for another apt run instead of failing or hanging; the
            // acquire timeout bounds each unreachable mirror. Our own kill timer bounds the whole step regardless.
            string[] bounded = ["-o", "DPkg::Lock::Timeout=60", "-o", "Acquire::http::Timeout=30", "-o", "Acquire::Retries=1"];
            ExternalCommand.Run("apt-get", [.. bounded, "update", "-q"], UpdateTimeoutS, log, env);
            ExternalCommand.Run("apt-get", [.. bounded, "install", "-y", "-q", "--no-install-recommends", package], InstallTimeoutS, log, env);
        }
        catch (BaselineException e)
        {
            throw new BaselineException($"installing {package} failed: {e.Message}", e);
        }
        return find() ?? throw new BaselineException($"apt-get installed {package} but its programs were not found afterwards");
    }

    /// <summary>The first of <paramref name="paths"/> that exists, else null.</summary>
    public static string? FirstExisting(params string[] paths)
    {
        foreach (string p in paths)
        {
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
