using System.IO.Hashing;

namespace Wallet.Engine.Snapshots;

/// <summary>
/// Read-only stream over exactly <c>length</c> bytes of an inner stream that hashes what is read. The caller
/// compares <see cref="Hash"/> with the stored checksum after consuming everything (<see cref="DrainAndHash"/>).
/// </summary>
internal sealed class HashingReadStream : Stream
{
    private readonly XxHash64 _hash = new();
    private readonly Stream _inner;
    private readonly long _length;
    private long _remaining;

    public HashingReadStream(Stream inner, long length)
    {
        _inner = inner;
        _length = length;
        _remaining = length;
    }

    public ulong Hash => _hash.GetCurrentHashAsUInt64();
    public long Remaining => _remaining;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining == 0) return 0;
        if (buffer.Length > _remaining) buffer = buffer[..(int)_remaining];
        int n = _inner.Read(buffer);
        if (n <= 0) return 0;
        _hash.Append(buffer[..n]);
        _remaining -= n;
        return n;
    }

    /// <summary>Reads whatever the consumer left unread so the hash covers the whole payload.</summary>
    public ulong DrainAndHash()
    {
        Span<byte> scratch = stackalloc byte[4096];
        while (Read(scratch) > 0) { }
        return Hash;
    }
}
