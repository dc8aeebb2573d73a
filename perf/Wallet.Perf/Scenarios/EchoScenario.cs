using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// The floor under every request/response latency of this machine: the least a TCP round trip over loopback can
/// cost here, with no wallet code. A client thread sends a 16-byte frame at each intended send time of a fixed
/// rate (the pacer of <c>e2e</c>: sleep when far, yield when near); one server thread reads with blocking
/// <c>recv</c> and writes back what it read with one <c>send</c>; a client receiver thread reads the echoes and
/// records now − intended send time (HdrHistogram; coordinated omission corrected, as in <c>e2e</c>). Three threads,
/// two hand-offs across the kernel — a wallet request crosses at least four (gateway, sequencer, BLP, egress). A
/// p99 here is a lower bound for the p99 of <c>e2e</c> at the same rate; compare with <c>hiccup</c>.
/// </summary>
internal sealed class EchoScenario : IScenario
{
    /// <summary>Bytes per frame: the intended send time (8) and a sequence number (8).</summary>
    private const int FrameBytes = 16;

    /// <summary>Socket buffer per read: 4,096 frames.</summary>
    private const int ReadBufferBytes = 64 * 1024;

    /// <summary>Most frames one coalesced send carries.</summary>
    private const int MaxFramesPerSend = 256;

    /// <summary>How long the client waits for the last echoes of a phase before it reports them missing.</summary>
    private const int DrainTimeoutMs = 5_000;

    public string Name => "echo";

    public string Description => "the machine's TCP floor: 16-byte frames echoed over loopback at fixed rates by one thread, blocking or (--wait busy-spin) polling; no wallet code";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--rates", "offered rates (frames/s), comma list", "10000,100000"),
        new("--sender", "per-frame (one send per frame, at its time) | due (one send carries every frame whose time has come, as a coalescing client does)", "due"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        int[] rates = LoadOptions.Rates(options, "10000,100000");
        string sender = options.Extra("--sender", "due");
        if (sender is not ("per-frame" or "due")) throw new PerfOptionsException($"--sender must be per-frame or due; got '{sender}'");
        bool coalesce = sender == "due";
        // --wait blocking (default): blocking recv, the pacer sleeps or yields. --wait busy-spin: two threads busy-poll
        // non-blocking sockets and own both cores — no wake-up anywhere, the floor of any design on this machine.
        if (options.Wait is WaitKind.Yielding or WaitKind.Sleeping)
            throw new PerfOptionsException("echo takes --wait blocking (default) or busy-spin");
        bool spin = options.Wait == WaitKind.BusySpin;
        var result = new ScenarioResult(Name);
        result.Note(spin
            ? $"--wait busy-spin: one server thread and one client thread (pacing, sending {sender}, receiving) busy-poll non-blocking sockets; TCP_NODELAY; {Environment.ProcessorCount} cores"
            : $"one server thread (blocking recv, one send per read), a pacing sender ({sender}) and a receiving thread on the client; TCP_NODELAY; {Environment.ProcessorCount} cores");

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect((IPEndPoint)listener.LocalEndPoint!);
        using Socket server = listener.Accept();
        server.NoDelay = true;
        var stopSpinning = new StrongBox<bool>();
        if (spin)
        {
            server.Blocking = false;
            client.Blocking = false;
        }
        var serverThread = new Thread(() =>
        {
            if (spin) EchoSpinning(server, stopSpinning);
            else Echo(server);
        }) { IsBackground = true, Name = "echo-server" };
        serverThread.Start();

        foreach (int rate in rates)
        {
            if (options.WarmupS > 0)
            {
                if (spin) RunSpinningPhase(client, rate, coalesce, options.WarmupS, recorder: null, log, $"{rate}/s warm-up");
                else RunPhase(client, rate, coalesce, options.WarmupS, recorder: null, log, $"{rate}/s warm-up");
            }
            var recorder = new LatencyRecorder("latency");
            (long sent, long answered, double achieved, long sends) = spin
                ? RunSpinningPhase(client, rate, coalesce, options.DurationS, recorder, log, $"{rate}/s")
                : RunPhase(client, rate, coalesce, options.DurationS, recorder, log, $"{rate}/s");
            string group = $"{rate}/s";
            result.Add(group, "achieved", achieved, "frames/s");
            result.Add(group, "unanswered", sent - answered, "frames");
            result.Add(group, "client sends per frame", (double)sends / sent, "sends");
            recorder.Report(result, group);
        }

        Volatile.Write(ref stopSpinning.Value, true);
        client.Shutdown(SocketShutdown.Both);
        if (!serverThread.Join(DrainTimeoutMs)) result.Note("the echo thread did not stop within 5 s");
        return result;
    }

    /// <summary>Echoes what it reads until the peer closes: one blocking recv, one send of the same bytes.</summary>
    private static void Echo(Socket server)
    {
        var buffer = new byte[ReadBufferBytes];
        try
        {
            while (true)
            {
                int n = server.Receive(buffer);
                if (n == 0) return;
                int sent = 0;
                while (sent < n) sent += server.Send(buffer, sent, n - sent, SocketFlags.None);
            }
        }
        catch (SocketException)
        {
            // The client went away: the phase is over.
        }
    }

    /// <summary>Echoes by busy-polling a non-blocking socket until told to stop (only with --wait busy-spin).</summary>
    private static void EchoSpinning(Socket server, StrongBox<bool> stop)
    {
        var buffer = new byte[ReadBufferBytes];
        while (!Volatile.Read(ref stop.Value))
        {
            int n = server.Receive(buffer, 0, buffer.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock) continue;
            if (error != SocketError.Success || n == 0) return;
            int sent = 0;
            while (sent < n)
            {
                int m = server.Send(buffer, sent, n - sent, SocketFlags.None, out SocketError sendError);
                if (sendError is not (SocketError.Success or SocketError.WouldBlock)) return;
                sent += m;
            }
        }
    }

    /// <summary>
    /// One client thread paces, sends and receives by busy-polling (only with --wait busy-spin): no wake-up on the path,
    /// so what remains is the kernel's TCP path and the hypervisor taking a core away. Bounded: it gives up
    /// <see cref="DrainTimeoutMs"/> after the last send.
    /// </summary>
    private static (long Sent, long Answered, double Achieved, long Sends) RunSpinningPhase(
        Socket client, int rate, bool coalesce, double seconds, LatencyRecorder? recorder, TextWriter log, string label)
    {
        log.WriteLine($"[echo] {label}: {seconds}s (spinning)");
        long count = Math.Max(1, (long)(seconds * rate));
        var frames = new byte[MaxFramesPerSend * FrameBytes];
        var buffer = new byte[ReadBufferBytes];
        int held = 0;
        long answered = 0;
        long sends = 0;
        long start = Stopwatch.GetTimestamp() + Pacing.TicksPerMs;
        double intervalTicks = (double)Stopwatch.Frequency / rate;
        long lastSendTicks = 0;
        long i = 0;
        while (answered < count)
        {
            long now = Stopwatch.GetTimestamp();
            if (i < count && start + (long)(i * intervalTicks) <= now)
            {
                int bytes = FillDue(frames, ref i, count, start, intervalTicks, now, coalesce) * FrameBytes;
                int sent = 0;
                while (sent < bytes)
                {
                    int m = client.Send(frames, sent, bytes - sent, SocketFlags.None, out SocketError sendError);
                    if (sendError is not (SocketError.Success or SocketError.WouldBlock)) throw new SocketException((int)sendError);
                    sent += m;
                }
                sends++;
                lastSendTicks = Stopwatch.GetTimestamp();
            }
            else if (i == count && Stopwatch.GetTimestamp() - lastSendTicks > DrainTimeoutMs * Pacing.TicksPerMs)
            {
                break; // the rest never came back: reported as unanswered
            }

            int got = client.Receive(buffer, held, buffer.Length - held, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock) continue;
            if (error != SocketError.Success || got == 0) break;
            long received = Stopwatch.GetTimestamp();
            held += got;
            int whole = held / FrameBytes * FrameBytes;
            for (int p = 0; p < whole; p += FrameBytes)
            {
                recorder?.RecordTicks(received - BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(p)));
                answered++;
            }
            buffer.AsSpan(whole, held - whole).CopyTo(buffer);
            held -= whole;
        }
        double elapsed = Pacing.TicksToSeconds(Math.Max(lastSendTicks, start + 1) - start);
        return (count, answered, count / Math.Max(elapsed, 1e-9), sends);
    }

    /// <summary>
    /// Writes frame <paramref name="i"/> (due) and, when coalescing, every later one already due at
    /// <paramref name="now"/> (at most <see cref="MaxFramesPerSend"/>); advances <paramref name="i"/>; returns the count.
    /// </summary>
    private static int FillDue(byte[] frames, ref long i, long count, long start, double intervalTicks, long now, bool coalesce)
    {
        int n = 0;
        do
        {
            BinaryPrimitives.WriteInt64LittleEndian(frames.AsSpan(n * FrameBytes), start + (long)(i * intervalTicks));
            BinaryPrimitives.WriteInt64LittleEndian(frames.AsSpan((n * FrameBytes) + 8), i);
            n++;
            i++;
        }
        while (coalesce && i < count && n < MaxFramesPerSend && start + (long)(i * intervalTicks) <= now);
        return n;
    }

    private static (long Sent, long Answered, double Achieved, long Sends) RunPhase(
        Socket client, int rate, bool coalesce, double seconds, LatencyRecorder? recorder, TextWriter log, string label)
    {
        log.WriteLine($"[echo] {label}: {seconds}s");
        long count = Math.Max(1, (long)(seconds * rate));
        long answered = 0;
        var receiver = new Thread(() =>
        {
            var buffer = new byte[ReadBufferBytes];
            int held = 0;
            client.ReceiveTimeout = DrainTimeoutMs;
            try
            {
                while (answered < count)
                {
                    int n = client.Receive(buffer, held, buffer.Length - held, SocketFlags.None);
                    if (n == 0) return;
                    long now = Stopwatch.GetTimestamp();
                    held += n;
                    int whole = held / FrameBytes * FrameBytes;
                    for (int p = 0; p < whole; p += FrameBytes)
                    {
                        long intended = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(p));
                        recorder?.RecordTicks(now - intended);
                        answered++;
                    }
                    // A frame split across reads: keep its first bytes for the next one.
                    buffer.AsSpan(whole, held - whole).CopyTo(buffer);
                    held -= whole;
                }
            }
            catch (SocketException)
            {
                // Timed out waiting for the rest: reported as unanswered.
            }
        }) { IsBackground = true, Name = "echo-receiver" };
        receiver.Start();

        var frames = new byte[MaxFramesPerSend * FrameBytes];
        long start = Stopwatch.GetTimestamp() + Pacing.TicksPerMs;
        double intervalTicks = (double)Stopwatch.Frequency / rate;
        long sends = 0;
        for (long i = 0; i < count;)
        {
            Pacing.PaceUntil(start + (long)(i * intervalTicks));
            // Frame i is due; with --sender due every later frame already due rides in the same send.
            int bytes = FillDue(frames, ref i, count, start, intervalTicks, Stopwatch.GetTimestamp(), coalesce) * FrameBytes;
            int sent = 0;
            while (sent < bytes) sent += client.Send(frames, sent, bytes - sent, SocketFlags.None);
            sends++;
        }
        double elapsed = Pacing.TicksToSeconds(Stopwatch.GetTimestamp() - start);
        receiver.Join(DrainTimeoutMs + 1_000);
        return (count, Interlocked.Read(ref answered), count / Math.Max(elapsed, 1e-9), sends);
    }
}
