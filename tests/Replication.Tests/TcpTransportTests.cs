using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Wallet.Replication.Transport;

namespace Wallet.Replication.Tests;

/// <summary>
/// The replica-to-replica TCP transport: ordered delivery both ways, peers identified at the handshake, strangers and
/// malformed streams cut without delivering anything, unreachable peers' messages dropped and counted, links that
/// come back once the peer does. Loopback only; every wait is bounded.
/// </summary>
public sealed class TcpTransportTests
{
    private const uint Cluster = 7;

    private sealed class Collector : IInboundHandler
    {
        public readonly List<(int From, byte[] Message)> Got = [];
        public void OnMessage(int fromNode, ReadOnlySpan<byte> message) => Got.Add((fromNode, message.ToArray()));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static TcpTransport Create(int self, int port, Dictionary<int, int> peerPorts, ManualResetEventSlim wake, uint cluster = Cluster)
    {
        var peers = new Dictionary<int, (string Host, int Port)>();
        foreach ((int id, int p) in peerPorts) peers[id] = ("127.0.0.1", p);
        return new TcpTransport(self, cluster, new IPEndPoint(IPAddress.Loopback, port), peers,
            new TransportOptions { ReconnectDelayMs = 20, MaxMessageBytes = 64 << 10, MaxQueuedBytesPerPeer = 1 << 20, MaxInboxBytes = 1 << 20 }, wake.Set);
    }

    /// <summary>Drains <paramref name="t"/> until <paramref name="count"/> messages arrived (10 s at most).</summary>
    private static List<(int From, byte[] Message)> Receive(TcpTransport t, ManualResetEventSlim wake, int count)
    {
        var c = new Collector();
        long deadline = Environment.TickCount64 + 10_000;
        while (c.Got.Count < count)
        {
            Assert.True(Environment.TickCount64 < deadline, $"received {c.Got.Count} of {count} messages");
            wake.Wait(50);
            wake.Reset();
            t.Drain(ref c);
        }
        return c.Got;
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        long deadline = Environment.TickCount64 + 10_000;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, what);
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Messages_flow_both_ways_in_order_tagged_with_the_sender()
    {
        int p1 = FreePort(), p2 = FreePort();
        using var w1 = new ManualResetEventSlim();
        using var w2 = new ManualResetEventSlim();
        using TcpTransport a = Create(1, p1, new() { [2] = p2 }, w1);
        using TcpTransport b = Create(2, p2, new() { [1] = p1 }, w2);
        a.Start();
        b.Start();
        WaitUntil(() => a.IsConnectedTo(2) && b.IsConnectedTo(1), "links did not connect");

        for (int i = 0; i < 500; i++) a.Send(2, BitConverter.GetBytes(i));
        b.Send(1, "pong"u8);
        var atB = Receive(b, w2, 500);
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(1, atB[i].From);
            Assert.Equal(i, BitConverter.ToInt32(atB[i].Message));
        }
        var atA = Receive(a, w1, 1);
        Assert.Equal(2, atA[0].From);
        Assert.Equal("pong"u8.ToArray(), atA[0].Message);
        Assert.Equal(0, a.DroppedTo(2));
    }

    [Theory]
    [InlineData("bad magic")]
    [InlineData("other cluster")]
    [InlineData("unknown node")]
    [InlineData("oversize frame")]
    [InlineData("zero-length frame")]
    public void Strangers_and_malformed_streams_are_cut_and_deliver_nothing(string attack)
    {
        int p1 = FreePort(), p2 = FreePort();
        using var w1 = new ManualResetEventSlim();
        using TcpTransport a = Create(1, p1, new() { [2] = p2 }, w1);
        a.Start();

        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        raw.Connect(IPAddress.Loopback, p1);
        var hello = new byte[Handshake.SizeBytes];
        Handshake.Write(hello, attack == "other cluster" ? Cluster + 1 : Cluster, attack == "unknown node" ? 99 : 2);
        if (attack == "bad magic") hello[0] ^= 0xFF;
        raw.Send(hello);
        var frame = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(frame, attack switch { "oversize frame" => 64 << 20, "zero-length frame" => 0, _ => 4 });
        try { raw.Send(frame); } catch (SocketException) { } // the transport may have cut us already

        WaitUntil(() => a.RefusedConnections == 1, $"{attack}: connection not refused");
        // The socket is closed from the other side: a read returns 0 (or a reset), never data.
        raw.ReceiveTimeout = 5000;
        int n;
        try { n = raw.Receive(new byte[16]); } catch (SocketException) { n = 0; }
        Assert.Equal(0, n);
        var c = new Collector();
        a.Drain(ref c);
        Assert.Empty(c.Got);
        Assert.Equal(0, a.ReceivedMessages);
    }

    [Fact]
    public void Messages_to_an_unreachable_peer_are_dropped_and_counted_and_the_link_comes_back_with_the_peer()
    {
        int p1 = FreePort(), p2 = FreePort();
        using var w1 = new ManualResetEventSlim();
        using var w2 = new ManualResetEventSlim();
        using TcpTransport a = Create(1, p1, new() { [2] = p2 }, w1);
        a.Start();
        for (int i = 0; i < 10; i++) a.Send(2, "lost"u8);
        Assert.Equal(10, a.DroppedTo(2));
        Assert.False(a.IsConnectedTo(2));
        a.Send(42, "nobody"u8); // not a member: ignored

        using TcpTransport b = Create(2, p2, new() { [1] = p1 }, w2);
        b.Start();
        WaitUntil(() => a.IsConnectedTo(2), "link to the returning peer did not connect");
        a.Send(2, "hello"u8);
        var got = Receive(b, w2, 1);
        Assert.Equal("hello"u8.ToArray(), got[0].Message);
        Assert.Equal(10, a.DroppedTo(2));
    }

    [Fact]
    public void Options_are_validated_with_the_setting_named()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TransportOptions { MaxMessageBytes = 10 }.Validate());
        Assert.Contains("MaxMessageBytes", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TransportOptions { MaxQueuedBytesPerPeer = 1 }.Validate());
        using var w = new ManualResetEventSlim();
        Assert.Throws<ArgumentException>(() => Create(1, FreePort(), new() { [1] = 5000 }, w));
    }
}
