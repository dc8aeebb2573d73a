namespace Wallet.Engine.Partition;

/// <summary>
/// The BLP's side of the event journal. Small records (a command of a few transfers) are reserved and committed in the
/// journal directly, on the BLP's thread, as before. Large ones — the ~1.8 MB of events of an 8,190-transfer command —
/// are filled by the state machine into one of <see cref="Slots"/> buffers and handed to a thread of this object's own,
/// which appends them (checksum, copy into the page cache): about 45 ns per transfer the BLP no longer spends
/// (docs/BENCHMARKS.md §24). Events are derived data (fsync none, regenerated from commands by recovery when behind),
/// so nothing waits for them: results leave as soon as the command is applied, and the journal's <c>LastIndex</c>
/// follows a few commands behind. Records reach the journal in index order: once one is queued, every later one is
/// queued too until the thread has caught up.
/// </summary>
/// <remarks>
/// Threading: the BLP owns every method but the thread's loop; the journal is written by exactly one thread at a time —
/// the queue's thread while records are queued, the BLP otherwise (<see cref="Drain"/> before any other journal call:
/// retention, snapshot install, flush). Hand-over is a single-producer/single-consumer count pair
/// (<c>_published</c>, <c>_written</c>) with release/acquire semantics. A failure on the thread (an I/O error) is
/// kept and thrown to the BLP at its next call, which fails the partition like any other journal error.
/// </remarks>
internal sealed class EventJournalWriter : IDisposable
{
    /// <summary>Reservations at least this large are queued (below it a wake-up would cost more than the copy it saves).</summary>
    public const int MinQueuedRecordBytes = 64 * 1024;

    /// <summary>Records in flight: one being appended, one queued, one being filled.</summary>
    public const int Slots = 3;

    private const int StopTimeoutMs = 10_000;

    private readonly Journal.Journal _journal;
    private readonly byte[]?[] _buffers = new byte[Slots][];
    private readonly Entry[] _entries = new Entry[Slots];
    private readonly AutoResetEvent _work = new(initialState: false);
    private readonly Thread _thread;
    private long _published; // records handed over (written by the BLP)
    private long _written;   // records appended (written by the thread)
    private int _fillingSlot = -1; // BLP: the slot of the reservation in progress, -1 when it is the journal's own
    private volatile bool _stopping;
    private volatile Exception? _failure;

    private struct Entry
    {
        public ushort Type;
        public long Index;
        public long Term;
        public long Timestamp;
        public int Length;
    }

    public EventJournalWriter(Journal.Journal journal, string threadName)
    {
        ArgumentNullException.ThrowIfNull(journal);
        _journal = journal;
        _thread = new Thread(Run) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    /// <summary>The journal written (reads of LastIndex and friends are safe from any thread).</summary>
    public Journal.Journal Journal => _journal;

    /// <summary>Records queued and not yet appended (diagnostics and tests).</summary>
    public long Queued => _published - Volatile.Read(ref _written);

    /// <summary>Records appended by the queue's thread since start (diagnostics and tests).</summary>
    public long QueuedRecordsWritten => Volatile.Read(ref _written);

    /// <summary>
    /// BLP: an area for a record of up to <paramref name="maxPayloadLength"/> bytes, as
    /// <see cref="Journal.Journal.BeginAppendUpTo"/>; its contents are undefined (the event sink writes every byte it keeps).
    /// </summary>
    public Span<byte> BeginAppendUpTo(ushort type, long index, long term, long timestamp, int maxPayloadLength)
    {
        ThrowIfFailed();
        if (maxPayloadLength < MinQueuedRecordBytes && _published == Volatile.Read(ref _written))
        {
            _fillingSlot = -1;
            return _journal.BeginAppendUpTo(type, index, term, timestamp, maxPayloadLength);
        }

        if (maxPayloadLength > _journal.Options.MaxRecordBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPayloadLength), maxPayloadLength, $"above the event journal's MaxRecordBytes {_journal.Options.MaxRecordBytes}");
        }

        // A free slot: the thread is at most Slots - 1 records behind (it frees one per append).
        WaitUntilQueuedBelow(Slots);
        int slot = (int)(_published % Slots);
        _entries[slot] = new Entry { Type = type, Index = index, Term = term, Timestamp = timestamp };
        _fillingSlot = slot;
        byte[] buffer = _buffers[slot] ??= GC.AllocateUninitializedArray<byte>(_journal.Options.MaxRecordBytes);
        return buffer.AsSpan(0, maxPayloadLength);
    }

    /// <summary>BLP: the reservation holds <paramref name="payloadLength"/> bytes; queued ones go to the thread now.</summary>
    public void CommitAppend(int payloadLength)
    {
        int slot = _fillingSlot;
        _fillingSlot = -1;
        if (slot < 0)
        {
            _journal.CommitAppend(payloadLength);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        _entries[slot].Length = payloadLength;
        Volatile.Write(ref _published, _published + 1); // release: the entry and its bytes before the count
        _work.Set();
    }

    /// <summary>BLP: discards the reservation in progress (a queued one was never handed over).</summary>
    public void AbortAppend()
    {
        int slot = _fillingSlot;
        _fillingSlot = -1;
        if (slot < 0) _journal.AbortAppend();
    }

    /// <summary>
    /// BLP: waits until every queued record is in the journal, so the BLP may call the journal itself (retention,
    /// snapshot install, a flush). Throws the thread's failure, if any.
    /// </summary>
    public void Drain()
    {
        WaitUntilQueuedBelow(1);
        ThrowIfFailed();
    }

    private void WaitUntilQueuedBelow(long limit)
    {
        // Spin, then yield (never a hot spin, never a 1 ms sleep): the thread frees a slot per append, ~0.5 ms here.
        var wait = new SpinWait();
        while (_published - Volatile.Read(ref _written) >= limit)
        {
            ThrowIfFailed();
            if (_stopping) throw new ObjectDisposedException(nameof(EventJournalWriter));
            wait.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure) throw new InvalidOperationException("the event journal writer failed: " + failure.Message, failure);
    }

    private void Run()
    {
        while (true)
        {
            long written = _written;
            if (Volatile.Read(ref _published) == written) // acquire: the entry and its bytes after the count
            {
                if (_stopping) return;
                _work.WaitOne();
                continue;
            }

            int slot = (int)(written % Slots);
            ref Entry e = ref _entries[slot];
            try
            {
                _journal.Append(e.Type, e.Index, e.Term, e.Timestamp, _buffers[slot].AsSpan(0, e.Length));
            }
#pragma warning disable CA1031 // kept and rethrown on the BLP, which fails the partition
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _failure = ex;
                return;
            }

            Volatile.Write(ref _written, written + 1); // release: the journal's state before the BLP may touch it
        }
    }

    /// <summary>
    /// After the BLP stopped: lets the thread append what is queued (bounded), then stops it. The journal is the caller's
    /// to dispose afterwards. Records still queued at the deadline are lost like any unwritten events (recovery regenerates them).
    /// </summary>
    public void Dispose()
    {
        if (_stopping) return;
        var deadline = Environment.TickCount64 + StopTimeoutMs;
        var wait = new SpinWait();
        while (_published != Volatile.Read(ref _written) && _failure is null && Environment.TickCount64 < deadline) wait.SpinOnce(sleep1Threshold: -1);
        _stopping = true;
        _work.Set();
        // Never dispose the event under a thread that may still wait on it.
        if (_thread.Join(StopTimeoutMs)) _work.Dispose();
    }
}
