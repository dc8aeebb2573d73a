using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Wallet.Replication.Transport;

/// <summary>
/// Replica-to-replica messaging over TCP, the production side of the consensus transport seam (the simulator's
/// network is the other). Each replica dials every peer for what it sends (one outbound <see cref="PeerLink"/> per
/// peer) and accepts the peers' connections for what it receives; both directions are plain length-prefixed frames
/// (<c>uint32 little-endian length</c> + one SBE message) after a <see cref="Handshake"/>. Received messages wait in a
/// bounded <see cref="Inbox"/> until the driver drains them on its own thread; <c>wake</c> is called on arrival so the
/// driver sleeps instead of polling. Dedicated threads, blocking sockets: no thread-pool hops on the replication path.
/// </summary>
public sealed class TcpTransport : IRaftOutbox, IDisposable
{
    private readonly int _selfId;
    private readonly uint _clusterId;
    private readonly TransportOptions _options;
    private readonly IPEndPoint _listenOn;
    private readonly Dictionary<int, PeerLink> _links = [];
    private readonly HashSet<int> _members = [];
    private readonly Inbox _inbox;
    private readonly List<Socket> _inbound = [];
    private readonly List<Thread> _threads = [];
    private Socket? _listener;
    private Thread? _acceptThread;
    private volatile bool _stopping;
    private long _refusedConnections;
    private long _receivedBytes;
    private long _receivedMessages;

    /// <param name="selfId">This replica's node id.</param>
    /// <param name="clusterId">Identifies the cluster; connections from another cluster are refused.</param>
    /// <param name="listenOn">Where peers connect to this replica (port 0 picks one: see <see cref="LocalEndPoint"/>).</param>
    /// <param name="peers">Every other member: node id → its replication endpoint.</param>
    /// <param name="options">Limits and timings.</param>
    /// <param name="wake">Called (on a receiver thread) when a message arrives; must not block.</param>
    public TcpTransport(int selfId, uint clusterId, IPEndPoint listenOn, IReadOnlyDictionary<int, (string Host, int Port)> peers,
        TransportOptions options, Action wake)
    {
        ArgumentNullException.ThrowIfNull(listenOn);
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(wake);
        options.Validate();
        _selfId = selfId;
        _clusterId = clusterId;
        _options = options;
        _listenOn = listenOn;
        _inbox = new Inbox(options.MaxInboxBytes, wake);
        foreach ((int id, (string host, int port)) in peers)
        {
            if (id == selfId) throw new ArgumentException($"peer list contains this node ({selfId})", nameof(peers));
            _links.Add(id, new PeerLink(id, host, port, selfId, clusterId, options));
            _members.Add(id);
        }
    }

    /// <summary>The bound replication endpoint (after <see cref="Start"/>).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("not started"));

    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);
    public long ReceivedBytes => Interlocked.Read(ref _receivedBytes);
    public long ReceivedMessages => Interlocked.Read(ref _receivedMessages);

    /// <summary>Messages dropped for <paramref name="peer"/> (unreachable or queue full).</summary>
    public long DroppedTo(int peer) => _links.TryGetValue(peer, out PeerLink? l) ? l.DroppedMessages : 0;

    public bool IsConnectedTo(int peer) => _links.TryGetValue(peer, out PeerLink? l) && l.Connected;

    /// <summary>Binds the listener, then starts the accept thread and one outbound link per peer.</summary>
    public void Start()
    {
        var listener = new Socket(_listenOn.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(_listenOn);
            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = $"repl-accept-{_selfId}" };
        _acceptThread.Start();
        foreach (PeerLink link in _links.Values) link.Start();
    }

    /// <inheritdoc/>
    public void Send(int toNode, ReadOnlySpan<byte> message)
    {
        if (_links.TryGetValue(toNode, out PeerLink? link)) link.Send(message);
    }

    /// <summary>Hands every received message to <paramref name="handler"/> on the calling (driver) thread.</summary>
    public int Drain<THandler>(ref THandler handler)
        where THandler : IInboundHandler => _inbox.Drain(ref handler);

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket socket;
            try
            {
                socket = _listener!.Accept();
            }
            catch (SocketException) when (_stopping) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            socket.NoDelay = true;
            if (_options.SocketBufferBytes > 0) socket.ReceiveBufferSize = _options.SocketBufferBytes;
            lock (_inbound) _inbound.Add(socket);
            var thread = new Thread(() => ReceiveLoop(socket)) { IsBackground = true, Name = $"repl-in-{_selfId}" };
            lock (_threads) _threads.Add(thread);
            thread.Start();
        }
    }

    private void ReceiveLoop(Socket socket)
    {
        byte[] buffer = new byte[64 << 10];
        try
        {
            socket.ReceiveTimeout = _options.HandshakeTimeoutMs;
            if (!ReceiveExactly(socket, buffer.AsSpan(0, Handshake.SizeBytes))) return;
            if (!Handshake.TryRead(buffer, _clusterId, out int from, out _) || !_members.Contains(from))
            {
                Interlocked.Increment(ref _refusedConnections);
                return;
            }
            socket.ReceiveTimeout = 0;
            while (!_stopping)
            {
                if (!ReceiveExactly(socket, buffer.AsSpan(0, 4))) return;
                int length = BinaryPrimitives.ReadInt32LittleEndian(buffer);
                if (length <= 0 || length > _options.MaxMessageBytes)
                {
                    // Not a frame we would ever send: the stream is out of step; cut it (the peer reconnects).
                    Interlocked.Increment(ref _refusedConnections);
                    return;
                }
                if (buffer.Length < length) buffer = new byte[Math.Max(length, buffer.Length * 2)];
                if (!ReceiveExactly(socket, buffer.AsSpan(0, length))) return;
                Interlocked.Add(ref _receivedBytes, 4 + length);
                Interlocked.Increment(ref _receivedMessages);
                if (!_inbox.Add(from, buffer.AsSpan(0, length))) return;
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        finally
        {
            lock (_inbound) _inbound.Remove(socket);
            socket.Dispose();
        }
    }

    private static bool ReceiveExactly(Socket socket, Span<byte> dest)
    {
        while (!dest.IsEmpty)
        {
            int n = socket.Receive(dest, SocketFlags.None);
            if (n == 0) return false;
            dest = dest[n..];
        }
        return true;
    }

    public void Dispose()
    {
        _stopping = true;
        _listener?.Dispose();
        _inbox.Close();
        foreach (PeerLink link in _links.Values) link.Dispose();
        lock (_inbound)
        {
            foreach (Socket s in _inbound) s.Dispose();
        }
        _acceptThread?.Join(TimeSpan.FromSeconds(5));
        Thread[] threads;
        lock (_threads) threads = _threads.ToArray();
        foreach (Thread t in threads) t.Join(TimeSpan.FromSeconds(5));
    }
}
