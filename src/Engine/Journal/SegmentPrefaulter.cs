namespace Wallet.Engine.Journal;

/// <summary>
/// Keeps the active segment's pages populated ahead of the writer, on a thread of its own. The first store into a
/// page of a fresh segment is a page fault, and the kernel answers it with file read-ahead: on ext4 one fault
/// zero-fills many megabytes of the (sparse) file at once. Measured on the 2-core VM (docs/BENCHMARKS.md §15): the
/// command journal's writer stalled 18–24 ms about every 0.6 s at 100k commands/s that way, and every request behind
/// it waited. Here those faults are taken by this thread (MADV_POPULATE_WRITE, 64 KiB per call, about 1 ms here: the kernel does not preempt inside the call), so the writer finds
/// its pages present. Purely a performance aid: a writer that outruns this thread simply faults as before.
/// <para>
/// Under fsync none (<c>dirty</c>) each chunk is first written with zeros by <c>pwrite</c> and only then populated:
/// the write allocates the page-cache pages as large folios and fills them by copying, where populating a fresh,
/// MADV_RANDOM-advised range allocates, zero-fills and dirties one 4 KiB page per fault — measured on this VM
/// (`journal --rate-mb-s 200`), 1.75 against 4.0–4.1 µs of this thread's CPU per page, in kernel calls no longer than
/// before (docs/BENCHMARKS.md §22). Writing zeros changes
/// nothing the file means (every byte past the writer's offset is zero: an abort or a truncation zeroes what it
/// discards), provided no record is written there meanwhile. That is what the claim handshake guarantees: this
/// thread publishes the range it is about to zero, fences, and zeroes only if the writer's reservations in this
/// segment end before it (<see cref="BeforeWrite"/> publishes them the same way, fences, and waits while a claim
/// overlaps the range it is about to write). With both sides fencing between their store and their load, at least
/// one sees the other: either the zeros are skipped, or the writer writes after them.
/// </para>
/// </summary>
/// <remarks>
/// Protocol (writer = the journal's single writer thread): <see cref="Switch"/> whenever the active segment changes,
/// <see cref="Request"/> to move the populated horizon forward (a wake-up only when the writer crosses half the
/// window, so a few per segment). A segment disposed while this thread populates it waits for the chunk in progress
/// (<see cref="SegmentFile.Prefault"/> and its Dispose share a gate); later chunks see it unmapped and do nothing.
/// </remarks>
internal sealed class SegmentPrefaulter : IDisposable
{
    /// <summary>Populated per system call: a short hold on the segment's gate, progress visible often.</summary>
    public const long ChunkBytes = 64L << 10;

    /// <summary>How long Dispose waits for the thread (it only ever finishes one chunk).</summary>
    private const int StopTimeoutMs = 5_000;

    private readonly Lock _gate = new();
    private readonly AutoResetEvent _wake = new(initialState: false);
    private readonly Thread _thread;
    private SegmentFile? _segment;     // under _gate
    private long _populatedUpToBytes;  // under _gate: offsets below this are populated in _segment
    private long _targetBytes;         // under _gate: populate up to here
    private bool _stopping;            // under _gate

    private readonly bool _dirty;

    /// <summary>Zeroes are written only this far beyond the writer's reservations: a writer close behind never waits.</summary>
    internal const long ZeroMarginBytes = 2 * ChunkBytes;

    // The writer's side of the handshake (written by the writer thread): its segment and the end of its reservations there.
    private SegmentFile? _writerSegment;
    private long _writerEndBytes;
    // This thread's claim: the range it may be zeroing now (_claimTo 0 = none). _claimTo is written last, read first.
    private SegmentFile? _claimSegment;
    private long _claimFrom;
    private long _claimTo;
    private long _writerWaits;
    private long _chunksZeroed;

    /// <summary>Test hook: runs on this thread after a claim is granted, before the zeros are written.</summary>
    internal Action? BeforeZeroWriteForTests { get; set; }

    /// <param name="name">The thread's name.</param>
    /// <param name="dirty">
    /// Populate for writing (MADV_POPULATE_WRITE: the writer then takes no fault at all, but the pages are dirty
    /// ahead of it and get written back as zeros) or for reading (MADV_POPULATE_READ: nothing dirtied; the writer
    /// takes a minor fault per page). The journal asks for write only when it never syncs (fsync none): under batch
    /// or always, that zero writeback queues in front of the writer's own syncs.
    /// </param>
    public SegmentPrefaulter(string name, bool dirty)
    {
        _dirty = dirty;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Chunks populated since start (diagnostics and tests).</summary>
    public long ChunksPopulated => Interlocked.Read(ref _chunks);
    private long _chunks;

    /// <summary>Writer: <paramref name="segment"/> is now active (null: none), written from <paramref name="writeOffsetBytes"/>.</summary>
    public void Switch(SegmentFile? segment, long writeOffsetBytes)
    {
        lock (_gate)
        {
            _segment = segment;
            _populatedUpToBytes = writeOffsetBytes;
            _targetBytes = writeOffsetBytes;
        }
        // Everything past the new offset is zero (a roll, a truncation or a reopen leaves it so): nothing to protect there.
        // The segment first, then its end (release): a reader that sees the new end also sees the new segment, so an old
        // segment is never compared with the new one's (smaller) end — ZeroAhead reads in the opposite order.
        Volatile.Write(ref _writerSegment, segment);
        Volatile.Write(ref _writerEndBytes, writeOffsetBytes);
        Interlocked.MemoryBarrier();
    }

    /// <summary>Times the writer waited for a claim to end (diagnostics and tests).</summary>
    public long WriterWaits => Interlocked.Read(ref _writerWaits);

    /// <summary>Chunks written with zeros before being populated (diagnostics and tests).</summary>
    public long ChunksZeroed => Interlocked.Read(ref _chunksZeroed);

    /// <summary>
    /// Writer, before it writes [<paramref name="startBytes"/>, <paramref name="endBytes"/>) of
    /// <paramref name="segment"/>: publishes the reservation's end and waits while this thread's claim overlaps the range
    /// (it lasts one <c>pwrite</c> of at most <see cref="ChunkBytes"/>). Free when zero-writing is off.
    /// </summary>
    public void BeforeWrite(SegmentFile segment, long startBytes, long endBytes)
    {
        if (!_dirty) return;
        if (endBytes > _writerEndBytes) Volatile.Write(ref _writerEndBytes, endBytes);
        Interlocked.MemoryBarrier(); // the store above before the loads below (Dekker: the prefaulter fences the same way)
        if (!Overlaps(segment, startBytes, endBytes)) return;
        Interlocked.Increment(ref _writerWaits);
        var wait = new SpinWait();
        while (Overlaps(segment, startBytes, endBytes)) wait.SpinOnce(sleep1Threshold: -1);
    }

    private bool Overlaps(SegmentFile segment, long startBytes, long endBytes) =>
        Volatile.Read(ref _claimTo) > startBytes && ReferenceEquals(Volatile.Read(ref _claimSegment), segment) && Volatile.Read(ref _claimFrom) < endBytes;

    /// <summary>
    /// This thread: zeroes [from, to) of <paramref name="segment"/> if the writer's reservations there end at least
    /// <see cref="ZeroMarginBytes"/> before it; otherwise leaves it (the populate that follows works either way).
    /// </summary>
    private void ZeroAhead(SegmentFile segment, long from, long to)
    {
        Volatile.Write(ref _claimSegment, segment);
        Volatile.Write(ref _claimFrom, from);
        Volatile.Write(ref _claimTo, to);
        Interlocked.MemoryBarrier(); // the claim before the loads below
        try
        {
            // The end first, then the segment (acquire; Switch writes them in the opposite order): a new end comes with
            // its segment, and an old end with an old segment errs on the safe side.
            long writerEnd = Volatile.Read(ref _writerEndBytes);
            if (!ReferenceEquals(Volatile.Read(ref _writerSegment), segment)) return;
            if (writerEnd + ZeroMarginBytes > from) return;
            BeforeZeroWriteForTests?.Invoke();
            if (segment.WriteZeros(from, to - from)) Interlocked.Increment(ref _chunksZeroed);
        }
        finally
        {
            Volatile.Write(ref _claimTo, 0);
        }
    }

    /// <summary>Writer: keep the active segment populated up to <paramref name="upToBytes"/>.</summary>
    public void Request(long upToBytes)
    {
        lock (_gate)
        {
            if (upToBytes <= _targetBytes) return;
            _targetBytes = upToBytes;
        }
        _wake.Set();
    }

    private void Run()
    {
        // Runs only ahead of the writer: the writer, and whatever else serves requests, come first.
        Ring.BackgroundPriority.LowerCurrentThread();
        while (true)
        {
            _wake.WaitOne();
            while (true)
            {
                SegmentFile? segment;
                long from, to;
                lock (_gate)
                {
                    if (_stopping) return;
                    segment = _segment;
                    from = _populatedUpToBytes;
                    to = Math.Min(_targetBytes, from + ChunkBytes);
                }
                if (segment is null || from >= to) break;
                if (_dirty) ZeroAhead(segment, from, to);
                bool populated = segment.Prefault(from, to - from, _dirty);
                if (!populated && !NativeDurability.PopulateSupported) return; // the kernel lacks the advice: nothing to do, ever
                lock (_gate)
                {
                    // The writer may have switched segments meanwhile: progress belongs to the segment it was made in.
                    if (ReferenceEquals(_segment, segment) && _populatedUpToBytes == from) _populatedUpToBytes = to;
                    else continue;
                }
                Interlocked.Increment(ref _chunks);
                // A disposed segment reports false: stop until the writer switches to the next one.
                if (!populated) break;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            _segment = null;
        }
        _wake.Set();
        // Never dispose the event under a thread still inside a system call: it would wake to a disposed handle.
        if (_thread.Join(StopTimeoutMs)) _wake.Dispose();
    }
}
