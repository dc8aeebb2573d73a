using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Wallet.Engine.Journal;

namespace Wallet.Gateway.Fix;

/// <summary>
/// What survives a reconnect or a gateway restart for one partner: the next outgoing and next expected incoming
/// MsgSeqNum (<c>NAME.seqnums</c>: two int32 and a CRC-32C, rewritten in place) and the application messages sent
/// (<c>NAME.messages</c>: append-only records <c>[u32 length][u32 crc32c][i32 seq][i64 origSendingTimeNs]
/// [u8 msgTypeLength][msgType][body fields]</c>), so a ResendRequest can be answered with the original content.
/// Bounded: the newest <see cref="FixOptions.MaxStoredMessages"/> are indexed; when the file holds twice that many,
/// it is compacted (rewritten to a temp file, renamed). A torn or corrupt tail record (crash mid-append) is cut at
/// open. Writes go to the OS page cache (they survive a process crash, not a power cut). Thread-safe.
/// </summary>
internal sealed class FixSessionStore : IDisposable
{
    private const int RecordHeaderBytes = 8;
    private const int PayloadFixedBytes = 4 + 8 + 1;
    private readonly object _sync = new();
    private readonly string _seqPath;
    private readonly string _messagesPath;
    private readonly int _capacity;
    private readonly int[] _seqs;
    private readonly long[] _offsets;
    private readonly int[] _lengths;
    private readonly byte[] _scratch;
    private SafeFileHandle _seqHandle;
    private SafeFileHandle _messages;
    private long _messagesLength;
    private int _head; // index of the oldest entry
    private int _count;
    private long _recordsInFile;
    private int _nextSenderSeq = 1;
    private int _nextTargetSeq = 1;

    public FixSessionStore(string directory, string name, int capacity, int maxRecordBytes)
    {
        Directory.CreateDirectory(directory);
        _seqPath = Path.Combine(directory, name + ".seqnums");
        _messagesPath = Path.Combine(directory, name + ".messages");
        _capacity = capacity;
        _seqs = new int[capacity];
        _offsets = new long[capacity];
        _lengths = new int[capacity];
        _scratch = new byte[RecordHeaderBytes + PayloadFixedBytes + 255 + maxRecordBytes];
        _seqHandle = File.OpenHandle(_seqPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        LoadSeqNums();
        _messages = File.OpenHandle(_messagesPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        LoadMessages();
    }

    public int NextSenderSeq { get { lock (_sync) return _nextSenderSeq; } }
    public int NextTargetSeq { get { lock (_sync) return _nextTargetSeq; } }
    /// <summary>Messages indexed for resend.</summary>
    public int StoredCount { get { lock (_sync) return _count; } }
    /// <summary>Largest body (fields after the header) one record can hold.</summary>
    public int MaxBodyBytes => _scratch.Length - RecordHeaderBytes - PayloadFixedBytes - 255;

    /// <summary>Claims the next outgoing sequence number (persisted before the message leaves).</summary>
    public int TakeSenderSeq()
    {
        lock (_sync)
        {
            int seq = _nextSenderSeq++;
            SaveSeqNums();
            return seq;
        }
    }

    public void SetNextTargetSeq(int next)
    {
        lock (_sync)
        {
            if (_nextTargetSeq == next) return;
            _nextTargetSeq = next;
            SaveSeqNums();
        }
    }

    /// <summary>ResetSeqNumFlag / a new FIX session day: both numbers back to 1, the resend store emptied.</summary>
    public void Reset()
    {
        lock (_sync)
        {
            _nextSenderSeq = 1;
            _nextTargetSeq = 1;
            SaveSeqNums();
            _messages.Dispose();
            _messages = File.OpenHandle(_messagesPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
            _messagesLength = 0;
            _recordsInFile = 0;
            _head = _count = 0;
        }
    }

    /// <summary>Persists a sent application message (call in send order, under the session's send lock).</summary>
    public void Append(int seq, long origSendingTimeNs, ReadOnlySpan<byte> msgType, ReadOnlySpan<byte> body)
    {
        lock (_sync)
        {
            int payload = PayloadFixedBytes + msgType.Length + body.Length;
            if (msgType.Length > 255 || RecordHeaderBytes + payload > _scratch.Length) return; // cannot happen: bodies are bounded by the session
            Span<byte> r = _scratch.AsSpan(0, RecordHeaderBytes + payload);
            BinaryPrimitives.WriteInt32LittleEndian(r[8..], seq);
            BinaryPrimitives.WriteInt64LittleEndian(r[12..], origSendingTimeNs);
            r[20] = (byte)msgType.Length;
            msgType.CopyTo(r[21..]);
            body.CopyTo(r[(21 + msgType.Length)..]);
            BinaryPrimitives.WriteUInt32LittleEndian(r, (uint)payload);
            BinaryPrimitives.WriteUInt32LittleEndian(r[4..], Crc32C.Compute(r[8..]));
            RandomAccess.Write(_messages, r, _messagesLength);
            Index(seq, _messagesLength, r.Length);
            _messagesLength += r.Length;
            _recordsInFile++;
            if (_recordsInFile >= 2L * _capacity) Compact();
        }
    }

    /// <summary>
    /// Copies the stored message with sequence number <paramref name="seq"/> into <paramref name="destination"/>;
    /// false when it was not an application message (or is older than the bound).
    /// </summary>
    public bool TryGet(int seq, Span<byte> destination, out long origSendingTimeNs, out int msgTypeLength, out int bodyLength)
    {
        origSendingTimeNs = 0;
        msgTypeLength = bodyLength = 0;
        lock (_sync)
        {
            int i = Find(seq);
            if (i < 0) return false;
            int length = _lengths[i];
            Span<byte> r = _scratch.AsSpan(0, length);
            if (RandomAccess.Read(_messages, r, _offsets[i]) != length) return false;
            origSendingTimeNs = BinaryPrimitives.ReadInt64LittleEndian(r[12..]);
            msgTypeLength = r[20];
            bodyLength = length - RecordHeaderBytes - PayloadFixedBytes - msgTypeLength;
            if (destination.Length < msgTypeLength + bodyLength) return false;
            r.Slice(21, msgTypeLength + bodyLength).CopyTo(destination);
            return true;
        }
    }

    /// <summary>The smallest stored sequence number at or after <paramref name="seq"/>, or int.MaxValue.</summary>
    public int NextStoredAtOrAfter(int seq)
    {
        lock (_sync)
        {
            for (int k = 0; k < _count; k++)
            {
                int s = _seqs[(_head + k) % _capacity];
                if (s >= seq) return s;
            }
            return int.MaxValue;
        }
    }

    private void Index(int seq, long offset, int length)
    {
        int slot;
        if (_count < _capacity)
        {
            slot = (_head + _count) % _capacity;
            _count++;
        }
        else
        {
            slot = _head;
            _head = (_head + 1) % _capacity;
        }
        _seqs[slot] = seq;
        _offsets[slot] = offset;
        _lengths[slot] = length;
    }

    /// <summary>Binary search over the ring (sequence numbers ascend from the oldest entry).</summary>
    private int Find(int seq)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int s = _seqs[(_head + mid) % _capacity];
            if (s == seq) return (_head + mid) % _capacity;
            if (s < seq) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    private void LoadSeqNums()
    {
        Span<byte> b = stackalloc byte[12];
        if (RandomAccess.Read(_seqHandle, b, 0) == 12 && Crc32C.Compute(b[..8]) == BinaryPrimitives.ReadUInt32LittleEndian(b[8..]))
        {
            int s = BinaryPrimitives.ReadInt32LittleEndian(b);
            int t = BinaryPrimitives.ReadInt32LittleEndian(b[4..]);
            if (s >= 1 && t >= 1)
            {
                _nextSenderSeq = s;
                _nextTargetSeq = t;
            }
        }
    }

    private void SaveSeqNums()
    {
        Span<byte> b = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(b, _nextSenderSeq);
        BinaryPrimitives.WriteInt32LittleEndian(b[4..], _nextTargetSeq);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], Crc32C.Compute(b[..8]));
        RandomAccess.Write(_seqHandle, b, 0);
    }

    private void LoadMessages()
    {
        long fileLength = RandomAccess.GetLength(_messages);
        long offset = 0;
        Span<byte> header = stackalloc byte[RecordHeaderBytes];
        while (offset + RecordHeaderBytes <= fileLength)
        {
            if (RandomAccess.Read(_messages, header, offset) != RecordHeaderBytes) break;
            uint payload = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (payload < PayloadFixedBytes || RecordHeaderBytes + payload > _scratch.Length || offset + RecordHeaderBytes + payload > fileLength) break;
            Span<byte> body = _scratch.AsSpan(0, (int)payload);
            if (RandomAccess.Read(_messages, body, offset + RecordHeaderBytes) != payload) break;
            if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(header[4..])) break;
            int seq = BinaryPrimitives.ReadInt32LittleEndian(body);
            if (_count > 0 && seq <= _seqs[(_head + _count - 1) % _capacity]) break;
            Index(seq, offset, RecordHeaderBytes + (int)payload);
            offset += RecordHeaderBytes + payload;
            _recordsInFile++;
        }
        if (offset < fileLength) RandomAccess.SetLength(_messages, offset); // torn or corrupt tail
        _messagesLength = offset;
    }

    /// <summary>Rewrites the file with only the indexed (newest) records.</summary>
    private void Compact()
    {
        string temp = _messagesPath + ".compact";
        long written = 0;
        using (SafeFileHandle t = File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            for (int k = 0; k < _count; k++)
            {
                int i = (_head + k) % _capacity;
                Span<byte> r = _scratch.AsSpan(0, _lengths[i]);
                RandomAccess.Read(_messages, r, _offsets[i]);
                RandomAccess.Write(t, r, written);
                _offsets[i] = written;
                written += r.Length;
            }
            RandomAccess.FlushToDisk(t);
        }
        _messages.Dispose();
        File.Move(temp, _messagesPath, overwrite: true);
        _messages = File.OpenHandle(_messagesPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        _messagesLength = written;
        _recordsInFile = _count;
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _seqHandle.Dispose();
            _messages.Dispose();
        }
    }
}
