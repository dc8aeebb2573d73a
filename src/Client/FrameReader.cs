using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Wallet.Protocol;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Reads SOFH-framed messages from a socket into one pooled, growable buffer. A returned frame (the SBE part,
/// header included) is valid until the next read. Length and encoding are checked before any byte of the
/// body is trusted; a violation is a <see cref="WalletProtocolException"/>.
/// </summary>
internal sealed class FrameReader : IDisposable
{
    private const int InitialBufferBytes = 64 * 1024;
    private const int MinFrameBytes = Sofh.HeaderLength + ProtocolSchema.MessageHeaderLength;

    private readonly Socket _socket;
    private readonly int _maxFrameBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _lastReceiveTimestamp = Stopwatch.GetTimestamp();

    public FrameReader(Socket socket, int maxFrameBytes)
    {
        _socket = socket;
        _maxFrameBytes = maxFrameBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxFrameBytes));
    }

    /// <summary><see cref="Stopwatch"/> timestamp of the last bytes received (for the dead-connection check).</summary>
    public long LastReceiveTimestamp => Volatile.Read(ref _lastReceiveTimestamp);

    // Pooled state machine: a frame that has to wait for the socket no longer allocates a box per frame (the largest
    // allocation of a client under load). Every caller awaits the result exactly once, as pooling requires.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> ReadFrameAsync(CancellationToken ct)
    {
        while (true)
        {
            int available = _end - _start;
            if (available >= Sofh.HeaderLength)
            {
                int length = CheckHeader(_buffer.AsSpan(_start, Sofh.HeaderLength), _maxFrameBytes);
                if (available >= length)
                {
                    var frame = new ReadOnlyMemory<byte>(_buffer, _start + Sofh.HeaderLength, length - Sofh.HeaderLength);
                    _start += length;
                    if (_start == _end)
                    {
                        _start = _end = 0;
                    }
                    return frame;
                }
                MakeRoom(length);
            }
            else
            {
                MakeRoom(Sofh.HeaderLength);
            }
            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
            {
                throw new WalletConnectionException("connection closed by the gateway");
            }
            _end += read;
            Volatile.Write(ref _lastReceiveTimestamp, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>The frame length a SOFH header announces, checked against the encoding and both bounds (internal: the fuzz target splits streams with it).</summary>
    internal static int CheckHeader(ReadOnlySpan<byte> header, int maxFrameBytes)
    {
        Sofh.TryRead(header, out uint length, out ushort encoding);
        if (encoding != Sofh.SbeLittleEndian)
        {
            throw new WalletProtocolException($"SOFH encoding type 0x{encoding:X4}, expected 0x{Sofh.SbeLittleEndian:X4}");
        }
        if (length < MinFrameBytes)
        {
            throw new WalletProtocolException($"SOFH length {length} shorter than the {MinFrameBytes}-byte minimum");
        }
        if (length > (uint)maxFrameBytes)
        {
            throw new WalletProtocolException($"SOFH length {length} exceeds MaxReceiveFrameBytes {maxFrameBytes}");
        }
        return (int)length;
    }

    /// <summary>Ensures bytes [_start, _start + needed) fit in the buffer: compact first, grow only if needed.</summary>
    private void MakeRoom(int needed)
    {
        if (_start + needed <= _buffer.Length && _end < _buffer.Length)
        {
            return;
        }
        int pending = _end - _start;
        if (needed <= _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, pending);
        }
        else
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(needed);
            Buffer.BlockCopy(_buffer, _start, bigger, 0, pending);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        _start = 0;
        _end = pending;
    }

    public void Dispose()
    {
        byte[] buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
