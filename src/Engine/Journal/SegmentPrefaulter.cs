namespace Wallet.Engine.Journal;

/// <summary>
/// Keeps the active segment's pages populated ahead of the writer, on a thread of its own. The first store into a
/// page of a fresh segment is a page fault, and the kernel answers it with file read-ahead: on ext4 one fault
/// zero-fills many megabytes of the (sparse) file at once. Measured on the 2-core VM (docs/BENCHMARKS.md §15): the
/// command journal's writer stalled 18–24 ms about every 0.6 s at 100k commands/s that way, and every request behind
/// it waited. Here those faults are taken by this thread (MADV_POPULATE_WRITE, 64 KiB per call, about 1 ms here: the kernel does not preempt inside the call), so the writer finds
/// its pages present. Purely a performance aid: populating never changes a byte of the file, and a writer that
/// outruns this thread simply faults as before.
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
