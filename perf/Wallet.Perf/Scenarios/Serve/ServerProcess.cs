using System.Diagnostics;
using System.Globalization;

namespace Wallet.Perf.Scenarios.Serve;

/// <summary>A <c>wallet serve</c> child process (the wallet.dll built next to this harness), shared by the e2e, replicated, http and readmodel-lag scenarios.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public int Pid => _process.Id;

    /// <summary>The last <paramref name="lines"/> lines the server printed (role changes, warnings): what a failed run reports.</summary>
    public string Tail(int lines)
    {
        string text = Output.TrimEnd();
        int at = text.Length;
        for (int n = 0; n < lines && at > 0; n++) at = text.LastIndexOf('\n', at - 1);
        return at <= 0 ? text : text[(at + 1)..];
    }

    public bool IsLeader { get; private set; }
    public int LeaderLines { get; private set; }

    /// <summary>With several partitions on a cluster: this replica leads the saga sequencer's group (its "saga group:" lines).</summary>
    public bool IsSagaLeader { get; private set; }

    /// <summary>Partitions (of a multi-partition replica, up to 64) whose leader this replica last said it is.</summary>
    private readonly bool[] _leads = new bool[64];

    public bool LeadsPartition(int partition) => (uint)partition < (uint)_leads.Length && Volatile.Read(ref _leads[partition]);

    /// <summary>The replica that printed that it leads (serve prints every role change).</summary>
    public static ServerProcess WaitForLeader(List<ServerProcess> servers, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            foreach (ServerProcess s in servers)
            {
                if (s.IsLeader && !s.HasExited) return s;
            }
            Thread.Sleep(20);
        }
        throw new InvalidOperationException("no replica became leader within " + timeout);
    }

    public static ServerProcess Start(string dataDir, int port, string fsync, string wait, TextWriter log, string[] extra, int httpPort = 0, bool readModel = false)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "serve", "--data-dir", dataDir,
            "--port", port.ToString(CultureInfo.InvariantCulture), $"--Partition:Fsync={fsync}", $"--Partition:Wait={wait}",
            "--Gateway:MaxBatchSize=8190", "--Gateway:MaxFrameBytes=2097152", "--Gateway:MaxInFlightPerSession=1024",
            "--Gateway:MaxOutboundBytesPerSession=16777216", "--Logging:LogLevel:Default=Warning",
            // By default the engine alone, as measured before the HTTP API and the read model existed; the http and
            // readmodel-lag scenarios turn them on (httpPort > 0, readModel).
            httpPort == 0 ? "--Http:Enabled=false" : "--Http:Enabled=true", "--Http:Host=127.0.0.1",
            $"--Http:Port={httpPort.ToString(CultureInfo.InvariantCulture)}", $"--ReadModel:Enabled={(readModel ? "true" : "false")}", .. extra])
            psi.ArgumentList.Add(a);
        var server = new ServerProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start wallet serve"));
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        if (!server._listening.Task.Wait(TimeSpan.FromSeconds(60)))
            throw new InvalidOperationException("wallet serve did not start listening within 60 s:\n" + server.Output);
        log.WriteLine($"[serve] wallet serve pid {server._process.Id} on 127.0.0.1:{port}");
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.Contains("wallet serve: listening on", StringComparison.Ordinal)) _listening.TrySetResult();
        if (line.Contains("saga group: replica ", StringComparison.Ordinal)) IsSagaLeader = line.Contains(" is leader in term ", StringComparison.Ordinal);
        int at = line.IndexOf("wallet serve: partition ", StringComparison.Ordinal);
        if (at >= 0)
        {
            // "wallet serve: partition 1: replica 2 is leader in term 3, leader 2"
            ReadOnlySpan<char> rest = line.AsSpan(at + "wallet serve: partition ".Length);
            int colon = rest.IndexOf(':');
            if (colon > 0 && int.TryParse(rest[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out int p) && (uint)p < (uint)_leads.Length)
                Volatile.Write(ref _leads[p], line.Contains(" is leader in term ", StringComparison.Ordinal));
        }
        if (line.Contains(" is leader in term ", StringComparison.Ordinal))
        {
            if (!IsLeader) LeaderLines++;
            IsLeader = true;
        }
        else if (line.Contains(" is follower in term ", StringComparison.Ordinal) || line.Contains(" is candidate in term ", StringComparison.Ordinal)) IsLeader = false;
    }

    public void Stop(TextWriter log)
    {
        if (_process.HasExited) return;
        using (Process? kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) kill?.WaitForExit(5000);
        if (!_process.WaitForExit(60_000))
        {
            log.WriteLine("[e2e] wallet serve did not stop within 60 s; killing it");
            _process.Kill();
            return;
        }
        _process.WaitForExit(); // flushes the redirected output
        string? runtime = RuntimeLine();
        if (runtime is not null) log.WriteLine($"[serve] pid {_process.Id}: {runtime}");
    }

    /// <summary>The server's closing "runtime:" line (GC collections, pauses, allocation), once it has stopped.</summary>
    public string? RuntimeLine()
    {
        lock (_output)
        {
            string text = _output.ToString();
            int at = text.LastIndexOf("wallet serve: runtime: ", StringComparison.Ordinal);
            if (at < 0) return null;
            int end = text.IndexOf('\n', at);
            return text[(at + "wallet serve: ".Length)..(end < 0 ? text.Length : end)].TrimEnd();
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }
}
