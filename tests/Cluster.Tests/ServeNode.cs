using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Wallet.Cluster.Tests;

/// <summary>One `wallet serve` replica process; follows its role from the lines it prints.</summary>
internal sealed partial class ServeNode : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    private volatile bool _leader;

    public ServeNode(int id, string dataDir, string members, params string[] extra)
    {
        Id = id;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "serve", "--data-dir", dataDir,
                     $"--Cluster:NodeId={id}", $"--Cluster:Members={members}", .. extra])
        {
            psi.ArgumentList.Add(a);
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id { get; }
    public bool IsLeader => _leader && !HasExited;

    /// <summary>
    /// True once the process ended or this node was disposed. Safe from any thread at any time: load workers poll it
    /// while the test disposes a killed node (Process.HasExited throws on a disposed Process — seen once in CI).
    /// </summary>
    public bool HasExited
    {
        get
        {
            if (_disposed) return true;
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true; // disposed meanwhile
            }
        }
    }

    private volatile bool _disposed;
    public string Output { get { lock (_output) return _output.ToString(); } }

    [GeneratedRegex(@"replica (\d+) is (\w+) in term (\d+)")]
    private static partial Regex RoleLine();

    [GeneratedRegex(@"wallet serve: (?:partition (\d+): |saga group: )?replica (\d+) is (\w+) in term (\d+)")]
    private static partial Regex GroupRoleLine();

    private readonly Dictionary<int, bool> _leads = [];

    /// <summary>
    /// Whether this replica leads partition <paramref name="partition"/>'s group, from the lines it printed (with several
    /// partitions every group prints its own role lines; -1 = the saga group). False once the process exited.
    /// </summary>
    public bool Leads(int partition)
    {
        if (HasExited) return false;
        lock (_leads) return _leads.TryGetValue(partition, out bool leads) && leads;
    }

    [GeneratedRegex(@"HTTP on 127\.0\.0\.1:(\d+)")]
    private static partial Regex HttpLine();

    private volatile int _httpPort;

    /// <summary>The HTTP API's port as the replica printed it; 0 until then.</summary>
    public int HttpPort => _httpPort;

    /// <summary>
    /// The replica's applied index from its own HTTP admin endpoint (`partition.applied_index` in /v1/admin/stat), or -1
    /// while it is not answering (starting, or its HTTP port not printed yet).
    /// </summary>
    public Task<long> AppliedIndexAsync() => StatAsync("partition.applied_index");

    /// <summary>One counter of /v1/admin/stat (e.g. <c>cluster.rejoining</c>), or -1 while the replica is not answering.</summary>
    public async Task<long> StatAsync(string name)
    {
        int port = _httpPort;
        if (port == 0 || HasExited) return -1;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin:admin-dev-password");
        try
        {
            string json = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/v1/admin/stat"));
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return doc.RootElement.GetProperty(name).GetInt64();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or KeyNotFoundException or System.Text.Json.JsonException)
        {
            return -1;
        }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        Match h = HttpLine().Match(line);
        if (h.Success) _httpPort = int.Parse(h.Groups[1].Value, CultureInfo.InvariantCulture);
        Match m = RoleLine().Match(line);
        if (m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == Id) _leader = m.Groups[2].Value == "leader";
        Match g = GroupRoleLine().Match(line);
        if (g.Success && int.Parse(g.Groups[2].Value, CultureInfo.InvariantCulture) == Id)
        {
            int group = g.Groups[1].Success ? int.Parse(g.Groups[1].Value, CultureInfo.InvariantCulture) : line.Contains("saga group:", StringComparison.Ordinal) ? -1 : 0;
            lock (_leads) _leads[group] = g.Groups[3].Value == "leader";
        }
    }

    /// <summary>kill -9: no drain, no snapshot, no goodbye to peers.</summary>
    public void Crash()
    {
        _process.Kill();
        _process.WaitForExit(10_000);
    }

    public async Task<int> TerminateAsync()
    {
        if (_process.HasExited) return _process.ExitCode;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }
}
