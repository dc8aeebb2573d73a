using System.Net;
using System.Net.Sockets;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway.Tests;

/// <summary>
/// A closing session's linger starts once its last bytes (the Logout) are out and the FIN is sent, so a slow flush — the
/// FIX store's fsync gates every send — cannot make the linger expire first and drop the Logout answer; the flush itself
/// is bounded by the linger again (a consumer that never reads must still go promptly).
/// </summary>
public sealed class CloseLingerTests
{
    [Theory]
    // now, closing since, FIN sent (0 = not yet), linger → drop?
    [InlineData(10_600, 10_000, 0, 500, false)]        // the linger has passed since the close, but the Logout is still going out
    [InlineData(10_999, 10_000, 0, 500, false)]        // still within twice the linger
    [InlineData(11_000, 10_000, 0, 500, true)]         // the flush took too long (a peer that never reads): dropped whatever is queued
    [InlineData(10_700, 10_000, 10_300, 500, false)]   // FIN 400 ms ago: the peer still has 100 ms to close its side
    [InlineData(10_800, 10_000, 10_300, 500, true)]    // linger over since the FIN
    [InlineData(10_001, 10_000, 10_001, 0, true)]      // no linger: dropped as soon as the FIN is out
    public void Drops_after_the_linger_counted_from_the_FIN(long now, long closingSince, long finSent, int lingerMs, bool drop) =>
        Assert.Equal(drop, CloseLinger.ShouldDrop(now, closingSince, finSent, lingerMs));

    [Fact(Timeout = 30_000)]
    public async Task The_pump_reports_the_FIN_only_after_a_slow_gate_let_the_last_bytes_out()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using Socket server = await listener.AcceptAsync();

        var output = new OutboundBuffer(1 << 16, 1024);
        byte[] logout = "8=FIX.4.4|35=5|"u8.ToArray();
        lock (output.Sync)
        {
            logout.CopyTo(output.TryReserve(logout.Length, useReserve: true));
            output.Commit(logout.Length);
        }
        var gateOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long finSentTicks = 0;
        var wake = new AsyncSignal();
        Task pump = OutboundPump.RunAsync(server, output, wake, () => SessionState.Closing, () => { },
            beforeSend: async () => { await gateOpen.Task; return true; }, // a store sync that takes its time
            finSent: () => Volatile.Write(ref finSentTicks, Environment.TickCount64));
        wake.Set();

        // The gate holds the Logout back: nothing sent, no FIN, so the linger has not started.
        await Task.Delay(200);
        Assert.Equal(0, Volatile.Read(ref finSentTicks));
        Assert.Equal(0, client.Available);

        long opened = Environment.TickCount64;
        gateOpen.SetResult();
        await pump.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(Volatile.Read(ref finSentTicks) >= opened, "the FIN is reported after the gate opened");

        // The peer gets the Logout, then the end of the stream.
        byte[] received = new byte[256];
        int total = 0, n;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((n = await client.ReceiveAsync(received.AsMemory(total), SocketFlags.None, cts.Token)) > 0) total += n;
        Assert.Equal(logout, received[..total]);
    }
}
