using System.IO.Hashing;

namespace Wallet.Engine.Snapshots;

/// <summary>Write-only pass-through stream that hashes (XxHash64) and counts every byte on its way to the file.</summary>
internal sealed class HashingWriteStream(Stream inner) : Stream
{
    private readonly XxHash64 _hash = new();

    public long BytesWritten { get; private set; }
    public ulong Hash => _hash.GetCurrentHashAsUInt64();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => BytesWritten;
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.Append(buffer);
        inner.Write(buffer);
        BytesWritten += buffer.Length;
    }
}
