using System.Buffers.Binary;
using System.Net.Sockets;

namespace Wallet.Replication.Transport;

/// <summary>
/// The outbound half of the link to one peer: a dedicated thread connects (and reconnects), sends the handshake, then
/// writes whatever the driver queued, in batches (one send call per wake-up). Messages queued while the peer is
/// unreachable, or beyond the queue limit, are dropped and counted: consensus resends from its own state, and stale
/// messages to a returning peer would only be noise.
/// </summary>
internal sealed class PeerLink : IDisposable
{
    private readonly object _sync = new();
    private readonly AutoResetEvent _signal = new(false);
    private readonly TransportOptions _options;
    private readonly uint _clusterId;
    private readonly int _selfId;
    private readonly Thread _thread;
    private byte[] _queue = new byte[64 << 10];
    private int _queueLength;
    private byte[] _sending = new byte[64 << 10];
    private volatile bool _connected;
    private volatile bool _stopping;
    private Socket? _socket;
    private long _dropped;
    private long _sentBytes;
    private long _connects;

    public PeerLink(int peerId, string host, int port, int selfId, uint clusterId, TransportOptions options)
    {
        PeerId = peerId;
        Host = host;
        Port = port;
        _selfId = selfId;
        _clusterId = clusterId;
        _options = options;
        _thread = new Thread(Run) { IsBackground = true, Name = $"repl-out-{selfId}->{peerId}" };
    }

    public int PeerId { get; }
    public string Host { get; }
    public int Port { get; }
    public bool Connected => _connected;
    public long DroppedMessages => Interlocked.Read(ref _dropped);
    public long SentBytes => Interlocked.Read(ref _sentBytes);
    public long Connects => Interlocked.Read(ref _connects);
    public string? LastError { get; private set; }

    public void Start() => _thread.Start();

    /// <summary>Queues one message (copied). Never blocks beyond the queue lock.</summary>
    public void Send(ReadOnlySpan<byte> message)
    {
        int need = 4 + message.Length;
        lock (_sync)
        {
            if (!_connected || _queueLength + need > _options.MaxQueuedBytesPerPeer || message.Length > _options.MaxMessageBytes)
            {
                _dropped++;
                return;
            }
            if (_queue.Length < _queueLength + need) Array.Resize(ref _queue, Math.Max(_queueLength + need, _queue.Length * 2));
            BinaryPrimitives.WriteInt32LittleEndian(_queue.AsSpan(_queueLength), message.Length);
            message.CopyTo(_queue.AsSpan(_queueLength + 4));
            _queueLength += need;
        }
        _signal.Set();
    }

    private void Run()
    {
        Span<byte> hello = stackalloc byte[Handshake.SizeBytes];
        Handshake.Write(hello, _clusterId, _selfId);
        while (!_stopping)
        {
            Socket? socket = null;
            try
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                if (_options.SocketBufferBytes > 0) socket.SendBufferSize = _options.SocketBufferBytes;
                using (var timeout = new CancellationTokenSource(_options.ConnectTimeoutMs))
                {
                    socket.ConnectAsync(Host, Port, timeout.Token).AsTask().GetAwaiter().GetResult();
                }
                SendAll(socket, hello);
                lock (_sync)
                {
                    _socket = socket;
                    _queueLength = 0;
                    _connected = true;
                }
                Interlocked.Increment(ref _connects);
                PumpUntilBroken(socket);
            }
#pragma warning disable CA1031 // Any connect/send failure means "peer unreachable": retry after the delay.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LastError = ex.Message;
            }
            lock (_sync)
            {
                _connected = false;
                _socket = null;
                _queueLength = 0;
            }
            socket?.Dispose();
            if (!_stopping) _signal.WaitOne(_options.ReconnectDelayMs);
        }
    }

    private void PumpUntilBroken(Socket socket)
    {
        while (!_stopping)
        {
            int length;
            lock (_sync)
            {
                length = _queueLength;
                if (length > 0)
                {
                    (_queue, _sending) = (_sending, _queue);
                    _queueLength = 0;
                }
            }
            if (length == 0)
            {
                // Bounded wait so a stop request is seen without a signal.
                _signal.WaitOne(100);
                continue;
            }
            SendAll(socket, _sending.AsSpan(0, length));
            Interlocked.Add(ref _sentBytes, length);
        }
    }

    private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int n = socket.Send(bytes, SocketFlags.None);
            bytes = bytes[n..];
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _signal.Set();
        lock (_sync) _socket?.Dispose();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(5));
        _signal.Dispose();
    }
}
