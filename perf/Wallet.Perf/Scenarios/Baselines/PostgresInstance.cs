using System.Globalization;

namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>
/// A throw-away PostgreSQL cluster: initdb in a fresh temp directory, started with pg_ctl on 127.0.0.1 and a free
/// port, stopped (immediate mode) and deleted by <see cref="Dispose"/>. PostgreSQL refuses to run as root, so every
/// server program runs as the <c>postgres</c> user via <c>runuser</c>; the harness must therefore run as root.
/// </summary>
internal sealed class PostgresInstance : IDisposable
{
    private const int InitTimeoutS = 120;
    private const int StartTimeoutS = 60;
    private const int StopTimeoutS = 60;
    private const string OsUser = "postgres";

    private readonly string _binDir;
    private readonly string _root;
    private readonly TextWriter _log;
    private bool _started;

    private PostgresInstance(string binDir, string root, int port, TextWriter log)
    {
        _binDir = binDir;
        _root = root;
        Port = port;
        _log = log;
    }

    public int Port { get; }

    private string DataDir => Path.Combine(_root, "data");

    /// <summary>Npgsql connection string for the superuser (trust authentication on loopback, in this throw-away cluster only).</summary>
    public string ConnectionString(int poolSize) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size={poolSize};Timeout=30;Command Timeout=60;No Reset On Close=true";

    /// <summary>Installs PostgreSQL if missing, creates and starts the cluster. On any failure what was made is removed again.</summary>
    public static PostgresInstance Start(TextWriter log)
    {
        if (Environment.UserName != "root")
            throw new BaselineException("baseline-postgres runs initdb/pg_ctl as the 'postgres' user via runuser, which needs root; run the harness as root");
        string initdb = DebianPackage.EnsureProgram("postgresql", FindInitdb, log);
        string binDir = Path.GetDirectoryName(initdb)!;
        string root = Path.Combine(Path.GetTempPath(), "wallet-perf-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var instance = new PostgresInstance(binDir, root, FreePort.Next(), log);
        try
        {
            ExternalCommand.Run("chown", [OsUser + ":" + OsUser, root], 30, log);
            // Trust auth and a single superuser: the cluster lives for one benchmark run, on 127.0.0.1 only.
            instance.AsPostgres("initdb", ["-D", instance.DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"], InitTimeoutS);
            string serverOptions = string.Join(' ',
                "-c listen_addresses=127.0.0.1",
                $"-c port={instance.Port.ToString(CultureInfo.InvariantCulture)}",
                $"-c unix_socket_directories={root}",
                "-c max_connections=100",
                "-c shared_buffers=256MB",
                "-c fsync=on",
                "-c full_page_writes=on",
                "-c max_wal_size=4GB"); // no checkpoint storm inside a short run
            instance.AsPostgres("pg_ctl", ["-D", instance.DataDir, "-l", Path.Combine(root, "server.log"), "-o", serverOptions, "-w", "-t", StartTimeoutS.ToString(CultureInfo.InvariantCulture), "start"], StartTimeoutS + 10);
            instance._started = true;
            log.WriteLine($"[baseline-postgres] PostgreSQL ({binDir}) running on 127.0.0.1:{instance.Port}, data in {instance.DataDir}");
            return instance;
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    /// <summary>The server log (for error messages).</summary>
    public string ServerLogTail()
    {
        string path = Path.Combine(_root, "server.log");
        if (!File.Exists(path)) return "(no server log)";
        string text = File.ReadAllText(path);
        return text.Length <= 4000 ? text : text[^4000..];
    }

    public void Dispose()
    {
        if (_started)
        {
            _started = false;
            try
            {
                // Immediate: nothing here is worth a shutdown checkpoint; the directory is deleted next.
                AsPostgres("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "-t", StopTimeoutS.ToString(CultureInfo.InvariantCulture), "stop"], StopTimeoutS + 10);
            }
            catch (BaselineException e)
            {
                _log.WriteLine($"[baseline-postgres] pg_ctl stop failed ({e.Message}); killing the postmaster");
                KillPostmaster();
            }
        }
        try
        {
            if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        }
        catch (IOException e)
        {
            _log.WriteLine($"[baseline-postgres] could not delete {_root}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            _log.WriteLine($"[baseline-postgres] could not delete {_root}: {e.Message}");
        }
    }

    private void KillPostmaster()
    {
        string pidFile = Path.Combine(DataDir, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        string first = File.ReadLines(pidFile).FirstOrDefault() ?? string.Empty;
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return;
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
            // already gone
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private void AsPostgres(string program, IReadOnlyList<string> arguments, int timeoutS)
    {
        ExternalCommand.Run("runuser", ["-u", OsUser, "--", Path.Combine(_binDir, program), .. arguments], timeoutS, _log);
    }

    /// <summary>Debian puts the server programs in /usr/lib/postgresql/&lt;major&gt;/bin; take the newest major there.</summary>
    private static string? FindInitdb()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        string? best = null;
        int bestMajor = -1;
        foreach (string dir in Directory.GetDirectories(root))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int major)) continue;
            string initdb = Path.Combine(dir, "bin", "initdb");
            if (major > bestMajor && File.Exists(initdb))
            {
                best = initdb;
                bestMajor = major;
            }
        }
        return best;
    }
}
