using System.Runtime.ExceptionServices;

namespace Wallet.Engine.Journal;

/// <summary>
/// Reads a range of a journal on a thread of its own, ahead of its consumer: a replay (recovery, `audit replay`)
/// spends its thread on the state machine while validation (CRC and chain), page faults and disk reads happen on the
/// other core. Without it a from-disk replay spent about 40 % of its thread in the reader's checksum and faults
/// (docs/BENCHMARKS.md §25). Records arrive exactly as <see cref="JournalReader"/> returns them — same order, same
/// bytes, same validation; a corrupt record surfaces as the same <see cref="JournalCorruptException"/>, after every
/// record before it.
/// <para>
/// The reader thread copies validated records into a few chunk buffers (<see cref="ChunkCount"/> of at least
/// <see cref="ChunkBytes"/>, grown once for a larger record) and hands each over when it holds
/// <see cref="PublishBytes"/>; the consumer gives a chunk back when it moves past it. Memory is bounded by
/// ChunkCount × max(ChunkBytes, largest record), and the reader never runs more than that ahead. For fixed ranges
/// only (nothing appends meanwhile): it stops at the journal's LastIndex as it stood when it got there.
/// </para>
/// Single consumer; <see cref="TryRead"/> and <see cref="Dispose"/> from one thread.
/// </summary>
public sealed class JournalReadAhead : IDisposable
{
    /// <summary>Chunk buffers in the ring: one being read, one ready, one being filled, one spare.</summary>
    internal const int ChunkCount = 4;

    /// <summary>Initial capacity of a chunk buffer (a record larger than this grows its chunk once).</summary>
    internal const int ChunkBytes = 2 << 20;

    /// <summary>A chunk is handed over once it holds this many payload bytes (or the next record does not fit).</summary>
    internal const int PublishBytes = 1 << 20;

    /// <summary>How long the consumer or the reader waits in one slice before re-checking the other side is alive.</summary>
    private const int WaitSliceMs = 100;

    /// <summary>Longest <see cref="Dispose"/> waits for the reader thread to end.</summary>
    private const int StopTimeoutMs = 10_000;

    private readonly object _gate = new();
    private readonly Queue<Chunk> _ready = new(ChunkCount);
    private readonly Stack<Chunk> _free = new(ChunkCount);
    private readonly JournalReader _reader;
    private readonly long _upToIndex;
    private readonly int _chunkBytes;
    private readonly int _publishBytes;
    private readonly Thread _thread;
    private bool _stopping;  // under _gate: the consumer is done
    private bool _finished;  // under _gate: the reader published its last chunk
    private ExceptionDispatchInfo? _failure; // under _gate: why the reader stopped early, thrown after the ready chunks
    private Chunk? _current; // consumer's
    private int _position;   // consumer's: next record of _current
    private bool _disposed;

    /// <summary>Starts reading <paramref name="journal"/> from <paramref name="fromIndex"/> up to <paramref name="upToIndex"/> (inclusive).</summary>
    public JournalReadAhead(Journal journal, long fromIndex, long upToIndex = long.MaxValue)
        : this(journal, fromIndex, upToIndex, ChunkBytes, PublishBytes)
    {
    }

    internal JournalReadAhead(Journal journal, long fromIndex, long upToIndex, int chunkBytes, int publishBytes)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(publishBytes, 1);
        _upToIndex = upToIndex;
        // A short range needs no 2 MiB buffers: size them for what there is to read (records are at least a header).
        long bytes = journal.RecordBytesBetween(fromIndex, upToIndex);
        _chunkBytes = (int)Math.Clamp(bytes, Math.Min(4096, chunkBytes), chunkBytes);
        _publishBytes = Math.Min(publishBytes, _chunkBytes);
        for (int i = 0; i < ChunkCount; i++) _free.Push(new Chunk());
        _reader = journal.OpenReader(fromIndex); // on the caller's thread: a bad start index throws here
        _thread = new Thread(ReadLoop) { IsBackground = true, Name = "readahead-" + journal.Options.FilePrefix };
        _thread.Start();
    }

    /// <summary>Records handed over so far (for tests and reports).</summary>
    public long RecordsRead { get; private set; }

    /// <summary>
    /// The next record, or false at the end of the range. Its <see cref="JournalRecord.Payload"/> is valid until the
    /// next call or disposal (as with <see cref="JournalReader"/>).
    /// </summary>
    /// <exception cref="JournalCorruptException">The bytes on disk fail validation (after every record before them).</exception>
    public bool TryRead(out JournalRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        record = default;
        if (_current is null || _position == _current.Count)
        {
            if (_current is not null) GiveBack(_current);
            _current = TakeReady();
            _position = 0;
            if (_current is null) return false;
        }

        ref readonly RecordSlot slot = ref _current.Slots[_position++];
        record = new JournalRecord(slot.Header, _current.Buffer.AsSpan(slot.PayloadStart, slot.Header.PayloadLength), slot.OffsetBytes);
        RecordsRead++;
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        if (!_thread.Join(StopTimeoutMs))
            throw new InvalidOperationException($"journal read-ahead thread '{_thread.Name}' did not stop within {StopTimeoutMs} ms");
        _reader.Dispose();
    }

    private Chunk? TakeReady()
    {
        lock (_gate)
        {
            while (_ready.Count == 0)
            {
                if (_finished)
                {
                    _failure?.Throw();
                    return null;
                }
                if (!Monitor.Wait(_gate, WaitSliceMs) && !_thread.IsAlive && _ready.Count == 0 && !_finished)
                    throw new InvalidOperationException($"journal read-ahead thread '{_thread.Name}' ended without finishing");
            }
            return _ready.Dequeue();
        }
    }

    private void GiveBack(Chunk chunk)
    {
        chunk.Clear();
        lock (_gate)
        {
            _free.Push(chunk);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>A free chunk, or null once the consumer stopped.</summary>
    private Chunk? TakeFree()
    {
        lock (_gate)
        {
            while (_free.Count == 0 && !_stopping) Monitor.Wait(_gate, WaitSliceMs);
            return _stopping ? null : _free.Pop();
        }
    }

    private bool Publish(Chunk chunk)
    {
        lock (_gate)
        {
            if (_stopping) return false;
            _ready.Enqueue(chunk);
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    private void ReadLoop()
    {
        ExceptionDispatchInfo? failure = null;
        Chunk? chunk = null;
        try
        {
            chunk = TakeFree();
            while (chunk is not null && _reader.TryRead(_upToIndex, out JournalRecord record))
            {
                int length = record.Payload.Length;
                if (chunk.Count > 0 && (chunk.Used + length > chunk.Buffer.Length || chunk.Used >= _publishBytes))
                {
                    bool published = Publish(chunk);
                    chunk = null;
                    if (!published) return;
                    chunk = TakeFree();
                    if (chunk is null) return;
                }
                chunk.Add(in record, _chunkBytes);
            }
            if (chunk is not null && chunk.Count > 0 && !Publish(chunk)) return;
        }
        catch (Exception e)
        {
            // The records read before the failure are delivered first, then the failure (as a plain reader would).
            if (chunk is not null && chunk.Count > 0) Publish(chunk);
            failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            lock (_gate)
            {
                _failure = failure;
                _finished = true;
                Monitor.PulseAll(_gate);
            }
        }
    }

    private struct RecordSlot
    {
        public JournalRecordHeader Header;
        public int PayloadStart;
        public long OffsetBytes;
    }

    /// <summary>Validated records copied back to back, with their headers beside them.</summary>
    private sealed class Chunk
    {
        public byte[] Buffer = [];
        public RecordSlot[] Slots = new RecordSlot[64];
        public int Count;
        public int Used;

        public void Add(in JournalRecord record, int capacityBytes)
        {
            int length = record.Payload.Length;
            if (Buffer.Length < Math.Max(capacityBytes, Used + length))
            {
                // First use, or one record larger than a chunk: grow once (kept for the rest of the read).
                var grown = GC.AllocateUninitializedArray<byte>(Math.Max(capacityBytes, Used + length));
                Buffer.AsSpan(0, Used).CopyTo(grown);
                Buffer = grown;
            }
            if (Count == Slots.Length) Array.Resize(ref Slots, Slots.Length * 2);
            record.Payload.CopyTo(Buffer.AsSpan(Used));
            ref RecordSlot slot = ref Slots[Count++];
            slot.Header = new JournalRecordHeader
            {
                TotalLengthBytes = JournalRecordHeader.RecordBytesOnDisk(length),
                Type = record.Type,
                Flags = record.Flags,
                Index = record.Index,
                Term = record.Term,
                Timestamp = record.Timestamp,
                PayloadLength = length,
                PrevChecksum = record.PrevChecksum,
                Checksum = record.Checksum,
            };
            slot.PayloadStart = Used;
            slot.OffsetBytes = record.OffsetBytes;
            Used += length;
        }

        public void Clear()
        {
            Count = 0;
            Used = 0;
        }
    }
}
