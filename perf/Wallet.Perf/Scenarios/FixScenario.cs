using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Gateway.Auth;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// FIX next to SBE on the same engine: starts one <c>wallet serve</c> (fresh data directory) with the FIX acceptor
/// enabled, creates the accounts over SBE, then runs the same closed loop twice, one after the other:
/// <list type="bullet">
/// <item>FIX: one partner session, <c>--window</c> TransferRequests (35=UT, amount as decimal text) in flight; each
/// TransferReport releases the next request;</item>
/// <item>SBE: one client SDK connection, <c>--window</c> concurrent single-transfer calls (the SDK coalesces them
/// into batches on the wire: that is how SBE clients are meant to be used).</item>
/// </list>
/// Latency per transfer = send → its report/result, into an HdrHistogram. Both loops stop at --duration.
/// </summary>
internal sealed class FixScenario : IScenario
{
    private const string AdminPassword = "admin-dev-password"; // the development default in appsettings.json
    private const string PartnerPassword = "perf-partner-secret";

    public string Name => "fix";

    public string Description => "FIX 4.4 gateway vs SBE on one wallet serve over loopback: closed-loop transfers/s and latency";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--window", "requests in flight per connection, [1, 1024]", "64"),
        new("--accounts", "accounts created first, [2, 100000]", "1000"),
        new("--fsync", "server journal fsync policy: none|batch|always", "batch"),
        new("--fix-fsync", "FIX session store fsync policy (Fix:Fsync): none|batch|always", "batch"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        int window = (int)options.ExtraLong("--window", 64, 1, 1024);
        int accounts = (int)options.ExtraLong("--accounts", 1000, 2, 100_000);
        string fsync = options.Extra("--fsync", "batch");
        string fixFsync = options.Extra("--fix-fsync", "batch");
        var result = new ScenarioResult(Name);
        result.Note($"one wallet serve process, fsync {fsync}, FIX store fsync {fixFsync}; FIX: 1 session, SBE: 1 connection; window {window}; {accounts:N0} accounts; {Environment.ProcessorCount} cores shared by client and server");
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf", "fix-" + Guid.NewGuid().ToString("N")[..8]);
        int sbePort = FreePort(), fixPort = FreePort();
        string hash = PasswordHasher.Hash(PartnerPassword, PasswordHasher.MinIterations);
        using var server = Start(dir, sbePort, fixPort, fsync, fixFsync, hash, log);
        try
        {
            RunAsync(sbePort, fixPort, window, accounts, options, result, log).GetAwaiter().GetResult();
            if (server.HasExited) throw new InvalidOperationException("wallet serve exited during the run");
        }
        finally
        {
            if (!server.HasExited)
            {
                using (Process? kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)])) kill?.WaitForExit(5000);
                if (!server.WaitForExit(60_000)) server.Kill();
            }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        return result;
    }

    private static Process Start(string dir, int sbePort, int fixPort, string fsync, string fixFsync, string partnerHash, TextWriter log)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "wallet.dll"), "serve", "--data-dir", dir,
            "--port", sbePort.ToString(CultureInfo.InvariantCulture), $"--Partition:Fsync={fsync}",
            "--Fix:Enabled=true", $"--Fix:Port={fixPort}", $"--Fix:Fsync={fixFsync}", "--Fix:MaxInFlightPerSession=1024", "--Fix:MaxOutboundBytesPerSession=16777216",
            "--Fix:Partners:0:SenderCompId=PERF", "--Fix:Partners:0:TargetCompId=WALLET", "--Fix:Partners:0:Username=perf",
            $"--Fix:Partners:0:PasswordHash={partnerHash}", "--Fix:Partners:0:Role=admin", "--Fix:Partners:0:DebitAccounts:0=*",
            "--Gateway:MaxInFlightPerSession=1024", "--Logging:LogLevel:Default=Warning",
            "--Http:Enabled=false", "--ReadModel:Enabled=false"])
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start wallet serve");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.Contains("wallet serve: listening on", StringComparison.Ordinal)) ready.TrySetResult(); // every listener up
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            lock (output) throw new InvalidOperationException("wallet serve did not start its FIX acceptor within 60 s:\n" + output);
        }
        log.WriteLine($"[fix] wallet serve pid {process.Id}: SBE 127.0.0.1:{sbePort}, FIX 127.0.0.1:{fixPort}");
        return process;
    }

    private static async Task RunAsync(int sbePort, int fixPort, int window, int accounts, PerfOptions options, ScenarioResult result, TextWriter log)
    {
        await using WalletClient sbe = await WalletClient.ConnectAsync(new WalletClientOptions
        {
            Port = sbePort, ClientId = "admin", Credential = AdminPassword, MaxInFlight = 1024, RequestTimeoutMs = 60_000,
            BusyRetryLimit = 1000, BusyRetryMaxDelayMs = 5,
        }).ConfigureAwait(false);
        log.WriteLine($"[fix] creating {accounts:N0} accounts over SBE");
        int maxBatch = sbe.Limits.MaxItemsPerMessage(128);
        for (int from = 0; from < accounts; from += maxBatch)
        {
            int n = Math.Min(maxBatch, accounts - from);
            var batch = new Account[n];
            for (int i = 0; i < n; i++) batch[i] = new Account { Id = (UInt128)(from + i + 1), Ledger = 1, Code = 1 };
            foreach (CreateResult r in await sbe.CreateAccountsAsync(batch).ConfigureAwait(false))
            {
                if (r.Code != ResultCode.Ok) throw new InvalidOperationException($"account creation failed: {r.Code}");
            }
        }

        using var fix = new FixLoadSession(fixPort, window, accounts);
        log.WriteLine($"[fix] FIX closed loop: {options.WarmupS}s warm-up + {options.DurationS}s");
        fix.Run(options.WarmupS, null);
        var fixLatency = new LatencyRecorder("fix");
        (long fixDone, long fixFailed, double fixSeconds) = fix.Run(options.DurationS, fixLatency);
        result.Add("FIX closed loop", "transfers/s", fixDone / fixSeconds, "tx/s");
        result.Add("FIX closed loop", "failed transfers", fixFailed, "tx");
        fixLatency.Report(result, "FIX closed loop");
        log.WriteLine($"[fix] FIX: {fixDone / fixSeconds:N0} transfers/s");

        log.WriteLine($"[fix] SBE closed loop: {options.WarmupS}s warm-up + {options.DurationS}s");
        long nextId = 5_000_000_000;
        await SbeLoop(sbe, window, accounts, () => Interlocked.Increment(ref nextId), options.WarmupS, null).ConfigureAwait(false);
        var sbeLatency = new LatencyRecorder("sbe");
        (long sbeDone, long sbeFailed, double sbeSeconds) = await SbeLoop(sbe, window, accounts, () => Interlocked.Increment(ref nextId), options.DurationS, sbeLatency).ConfigureAwait(false);
        result.Add("SBE closed loop", "transfers/s", sbeDone / sbeSeconds, "tx/s");
        result.Add("SBE closed loop", "failed transfers", sbeFailed, "tx");
        sbeLatency.Report(result, "SBE closed loop");
        log.WriteLine($"[fix] SBE: {sbeDone / sbeSeconds:N0} transfers/s");
    }

    private static async Task<(long Done, long Failed, double Seconds)> SbeLoop(WalletClient client, int window, int accounts, Func<long> nextId, double seconds, LatencyRecorder? recorder)
    {
        long deadline = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(seconds);
        long done = 0, failed = 0;
        object gate = new();
        long start = Stopwatch.GetTimestamp();
        var workers = new Task[window];
        for (int w = 0; w < window; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    long id = nextId();
                    var t = new Transfer
                    {
                        Id = (UInt128)id, DebitAccountId = (UInt128)(id % accounts + 1), CreditAccountId = (UInt128)((id + 1) % accounts + 1),
                        Amount = 1, Ledger = 1, Code = 1,
                    };
                    long sent = Stopwatch.GetTimestamp();
                    ResultCode code = await client.CreateTransferAsync(t).ConfigureAwait(false);
                    long now = Stopwatch.GetTimestamp();
                    if (code != ResultCode.Ok) Interlocked.Increment(ref failed);
                    Interlocked.Increment(ref done);
                    if (recorder is not null)
                    {
                        lock (gate) recorder.RecordTicks(now - sent);
                    }
                }
            });
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
        return (done, failed, Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// A minimal FIX initiator for load: logs on with a reset, keeps <c>window</c> TransferRequests in flight on one
    /// socket (blocking I/O on the calling thread, no allocation per message), matches reports by TransferID.
    /// </summary>
    private sealed class FixLoadSession : IDisposable
    {
        private readonly Socket _socket;
        private readonly int _window;
        private readonly int _accounts;
        private readonly byte[] _send = new byte[1 << 20];
        private readonly byte[] _receive = new byte[1 << 20];
        private readonly long[] _sentAt;
        private int _filled;
        private int _seq = 1;
        private long _nextId = 1;

        public FixLoadSession(int port, int window, int accounts)
        {
            _window = window;
            _accounts = accounts;
            _sentAt = new long[window * 4];
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 30_000 };
            _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            int n = Encode(_send, "A", $"98=0\u0001108=30\u0001141=Y\u0001553=perf\u0001554={PartnerPassword}\u0001");
            _socket.Send(_send.AsSpan(0, n));
            if (!NextMessage(out int start, out int length) || !Contains(start, length, "\u000135=A\u0001"u8))
                throw new InvalidOperationException("FIX logon was not answered with a Logon");
        }

        public (long Done, long Failed, double Seconds) Run(double seconds, LatencyRecorder? recorder)
        {
            long deadline = Stopwatch.GetTimestamp() + Pacing.SecondsToTicks(seconds);
            long start = Stopwatch.GetTimestamp();
            long done = 0, failed = 0;
            int inFlight = 0;
            int owed = _window;
            while (true)
            {
                if (Stopwatch.GetTimestamp() >= deadline) owed = 0;
                // Send in bursts: refill the window only when no further report is already buffered.
                if (owed > 0 && !Buffered())
                {
                    int bytes = 0;
                    for (int i = 0; i < owed; i++) bytes += EncodeTransfer(_send.AsSpan(bytes));
                    _socket.Send(_send.AsSpan(0, bytes));
                    inFlight += owed;
                    owed = 0;
                }
                if (inFlight == 0) break;
                if (!NextMessage(out int s, out int length)) throw new InvalidOperationException("FIX connection closed");
                ReadOnlySpan<byte> message = _receive.AsSpan(s, length);
                if (!Contains(s, length, "\u000135=UR\u0001"u8))
                {
                    if (Contains(s, length, "\u000135=j\u0001"u8) || Contains(s, length, "\u000135=3\u0001"u8) || Contains(s, length, "\u000135=5\u0001"u8))
                        throw new InvalidOperationException("FIX refused a request: " + Encoding.ASCII.GetString(message).Replace('\u0001', '|'));
                    continue; // heartbeat
                }
                long now = Stopwatch.GetTimestamp();
                long id = Field(message, "\u00015001="u8);
                if (Field(message, "\u00015010="u8) != 0) failed++;
                recorder?.RecordTicks(now - _sentAt[id % _sentAt.Length]);
                done++;
                inFlight--;
                owed++;
            }
            return (done, failed, Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start));
        }

        private bool Buffered() => _filled > _consumed && _receive.AsSpan(_consumed, _filled - _consumed).IndexOf("\u000110="u8) >= 0;

        private int EncodeTransfer(Span<byte> destination)
        {
            long id = _nextId++;
            Span<byte> body = stackalloc byte[160];
            int n = 0;
            n += Put(body[n..], "5001="u8, id);
            n += Put(body[n..], "5002="u8, id % _accounts + 1);
            n += Put(body[n..], "5003="u8, (id + 1) % _accounts + 1);
            "5004=0.01\u000115=USD\u0001"u8.CopyTo(body[n..]);
            n += "5004=0.01\u000115=USD\u0001"u8.Length;
            _sentAt[id % _sentAt.Length] = Stopwatch.GetTimestamp();
            return Encode(destination, "UT", body[..n]);
        }

        private static int Put(Span<byte> d, ReadOnlySpan<byte> tag, long value)
        {
            tag.CopyTo(d);
            Utf8Formatter.TryFormat(value, d[tag.Length..], out int w);
            d[tag.Length + w] = 1;
            return tag.Length + w + 1;
        }

        private int Encode(Span<byte> d, string msgType, string body) => Encode(d, msgType, Encoding.ASCII.GetBytes(body));

        private int Encode(Span<byte> d, string msgType, ReadOnlySpan<byte> body)
        {
            Span<byte> inner = stackalloc byte[512];
            int n = 0;
            n += Text(inner[n..], "35=");
            n += Text(inner[n..], msgType);
            n += Text(inner[n..], "\u000149=PERF\u000156=WALLET\u000134=");
            Utf8Formatter.TryFormat(_seq++, inner[n..], out int w);
            n += w;
            n += Text(inner[n..], "\u000152=20260101-00:00:00.000\u0001");
            body.CopyTo(inner[n..]);
            n += body.Length;
            int p = Text(d, "8=FIX.4.4\u00019=");
            Utf8Formatter.TryFormat(n, d[p..], out w);
            p += w;
            d[p++] = 1;
            inner[..n].CopyTo(d[p..]);
            p += n;
            int sum = 0;
            foreach (byte b in d[..p]) sum += b;
            sum &= 0xFF;
            p += Text(d[p..], "10=");
            d[p++] = (byte)('0' + sum / 100);
            d[p++] = (byte)('0' + sum / 10 % 10);
            d[p++] = (byte)('0' + sum % 10);
            d[p++] = 1;
            return p;
        }

        private static int Text(Span<byte> d, string s)
        {
            for (int i = 0; i < s.Length; i++) d[i] = (byte)s[i];
            return s.Length;
        }

        private bool Contains(int start, int length, ReadOnlySpan<byte> what) => _receive.AsSpan(start, length).IndexOf(what) >= 0;

        private static long Field(ReadOnlySpan<byte> message, ReadOnlySpan<byte> tag)
        {
            int i = message.IndexOf(tag);
            if (i < 0) return -1;
            Utf8Parser.TryParse(message[(i + tag.Length)..], out long v, out _);
            return v;
        }

        private int _consumed;

        /// <summary>The next whole message in the receive buffer (reading more as needed); start/length into it.</summary>
        private bool NextMessage(out int start, out int length)
        {
            if (_consumed > 0)
            {
                _receive.AsSpan(_consumed, _filled - _consumed).CopyTo(_receive);
                _filled -= _consumed;
                _consumed = 0;
            }
            while (true)
            {
                int end = _receive.AsSpan(0, _filled).IndexOf("\u000110="u8);
                if (end >= 0 && _filled >= end + 8)
                {
                    start = 0;
                    length = end + 8;
                    _consumed = length;
                    return true;
                }
                int n = _socket.Receive(_receive.AsSpan(_filled));
                if (n == 0)
                {
                    start = length = 0;
                    return false;
                }
                _filled += n;
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
