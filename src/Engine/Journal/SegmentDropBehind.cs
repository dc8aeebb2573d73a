namespace Wallet.Engine.Journal;

/// <summary>
/// Keeps a journal's page-cache footprint to about <c>keepBytes</c> behind its writer, on a thread of its own: pages
/// further back are written back and evicted (<see cref="SegmentFile.DropCached"/>: MADV_DONTNEED on the writer's
/// mapping, then POSIX_FADV_DONTNEED on the file), so the pages the kernel hands the writer next are ones it has just
/// freed. Without it the cache grows with every journalled byte and every new page is memory the system has not
/// touched for a while; on the 2-core VM, which returns free memory to its host, each such page costs a host fault —
/// measured 1.1 ms of writer CPU per MiB, three times the copy itself (docs/BENCHMARKS.md §23). Eviction is never a
/// loss: only clean pages are dropped (a first pass at half the window starts their writeback), and a reader that
/// falls further behind than the window reads the same bytes from the file.
/// </summary>
/// <remarks>
/// Protocol (writer = the journal's single writer thread): <see cref="Advance"/> after appends with the writer's
/// position (a wake-up per <see cref="KickStepBytes"/> written); <see cref="Seal"/> hands over a segment the writer has finished
/// (this thread drops its tail as the writer moves on, then disposes it); <see cref="Switch"/> names the new active
/// segment. Positions are compared in "bytes appended since open" so a window spans segments. At most
/// <see cref="MaxSealed"/> sealed segments wait; beyond that the oldest is finished at once.
/// </remarks>
internal sealed class SegmentDropBehind : IDisposable
{
    /// <summary>Sealed segments waiting for their tail to fall out of the window (small segments: the oldest goes first).</summary>
    public const int MaxSealed = 8;

    /// <summary>Smallest step between two drop calls: a call per few pages would cost more than it frees.</summary>
    public const long MinStepBytes = 64L << 10;

    /// <summary>
    /// Writeback is started in pieces this large, as the writer passes them: a quarter window at once (32 MiB) queued
    /// in front of a concurrent fsync on the same device held it for tens of ms (e2e under fsync batch: 10k/s p99 7.7–57
    /// ms against 0.8–2.0 ms without drop-behind, docs/BENCHMARKS.md §23).
    /// </summary>
    public const long KickStepBytes = 1L << 20;

    private const int StopTimeoutMs = 5_000;

    private readonly long _keepBytes;
    private readonly long _stepBytes;     // drops: a quarter window
    private readonly long _kickStepBytes; // writeback: small and steady (see KickStepBytes)
    private readonly Lock _gate = new();
    private readonly AutoResetEvent _wake = new(initialState: false);
    private readonly Thread _thread;

    // Under _gate. Index 0 .. _count-2 are sealed segments (oldest first), _count-1 the active one when _hasActive.
    private readonly Tracked[] _tracked = new Tracked[MaxSealed + 1];
    private int _sealedCount;
    private bool _hasActive;
    private long _appendedBytes; // the writer's position, in bytes appended since open
    private bool _stopping;

    private long _signalledBytes; // writer only: the position of the last wake-up
    private long _callsMade;

    private struct Tracked
    {
        public SegmentFile Segment;
        public long BaseBytes;      // appended-bytes position of the segment's offset 0
        public long EndBytes;       // segment offset where its records end (sealed) or long.MaxValue (active)
        public long KickedUpTo;     // segment offset: writeback started below this
        public long DroppedUpTo;    // segment offset: evicted below this
    }

    /// <param name="name">The thread's name.</param>
    /// <param name="keepBytes">Bytes kept cached behind the writer (positive).</param>
    public SegmentDropBehind(string name, long keepBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepBytes, 1);
        _keepBytes = keepBytes;
        _stepBytes = Math.Max(keepBytes / 4, MinStepBytes);
        _kickStepBytes = Math.Min(_stepBytes, KickStepBytes);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Drop calls made (each a range of one segment; diagnostics and tests).</summary>
    public long CallsMade => Interlocked.Read(ref _callsMade);

    /// <summary>
    /// Writer: <paramref name="segment"/> is now active (null: none), its records end at <paramref name="writeOffsetBytes"/>
    /// and <paramref name="appendedBytes"/> is the writer's position. The previous active segment is forgotten: the
    /// writer either sealed it (<see cref="Seal"/>) or disposes it itself.
    /// </summary>
    public void Switch(SegmentFile? segment, long writeOffsetBytes, long appendedBytes)
    {
        lock (_gate)
        {
            _hasActive = segment is not null;
            _appendedBytes = appendedBytes;
            if (segment is not null)
            {
                _tracked[_sealedCount] = new Tracked
                {
                    Segment = segment, BaseBytes = appendedBytes - writeOffsetBytes, EndBytes = long.MaxValue,
                    KickedUpTo = writeOffsetBytes, DroppedUpTo = writeOffsetBytes,
                };
            }
            else
            {
                _tracked[_sealedCount] = default;
            }
        }
        _signalledBytes = appendedBytes;
    }

    /// <summary>
    /// Writer, at a roll: <paramref name="segment"/> (the active one) is finished at <paramref name="endOffsetBytes"/>;
    /// this object now owns it and disposes it once its tail is out of the window (<paramref name="appendedBytes"/>: the
    /// writer's position). Call <see cref="Switch"/> next.
    /// </summary>
    public void Seal(SegmentFile segment, long endOffsetBytes, long appendedBytes)
    {
        SegmentFile? finishNow = null;
        Tracked oldest = default;
        lock (_gate)
        {
            _appendedBytes = appendedBytes;
            Tracked entry = _hasActive && ReferenceEquals(_tracked[_sealedCount].Segment, segment)
                ? _tracked[_sealedCount]
                : new Tracked { Segment = segment, BaseBytes = _appendedBytes - endOffsetBytes, KickedUpTo = 0, DroppedUpTo = 0 };
            entry.EndBytes = endOffsetBytes;
            if (_sealedCount == MaxSealed)
            {
                oldest = _tracked[0];
                finishNow = oldest.Segment;
                Array.Copy(_tracked, 1, _tracked, 0, MaxSealed - 1);
                _sealedCount--;
            }
            _tracked[_sealedCount++] = entry;
            _tracked[_sealedCount] = default;
            _hasActive = false;
        }
        if (finishNow is not null)
        {
            // Too many small segments in flight: start the oldest's writeback, drop what is clean, and let it go.
            Drop(finishNow, oldest.DroppedUpTo, oldest.EndBytes);
            finishNow.Dispose();
        }
    }

    /// <summary>Writer, after appends: its position in bytes appended since open. Cheap; wakes the thread once per writeback step.</summary>
    public void Advance(long appendedBytes)
    {
        if (appendedBytes - _signalledBytes < _kickStepBytes) return;
        _signalledBytes = appendedBytes;
        lock (_gate) _appendedBytes = appendedBytes;
        _wake.Set();
    }

    private void Run()
    {
        // Only behind the writer: the writer, and whatever else serves requests, come first.
        Ring.BackgroundPriority.LowerCurrentThread();
        while (true)
        {
            _wake.WaitOne();
            while (true)
            {
                SegmentFile segment;
                long from, to;
                bool kick, finished;
                lock (_gate)
                {
                    if (_stopping) return;
                    if (!NextRange(out int slot, out from, out to, out kick)) break;
                    segment = _tracked[slot].Segment;
                    // Progress is recorded before the call (the range is this thread's alone: the writer only appends).
                    if (kick) _tracked[slot].KickedUpTo = to;
                    else _tracked[slot].DroppedUpTo = to;
                    finished = slot < _sealedCount && !kick && to >= _tracked[slot].EndBytes;
                    if (finished)
                    {
                        Array.Copy(_tracked, slot + 1, _tracked, slot, _sealedCount - slot);
                        _sealedCount--;
                        _tracked[_sealedCount + (_hasActive ? 1 : 0)] = default;
                    }
                }
                // A finished segment is dropped whole once more: pages a reader still mapped when this thread passed them
                // were skipped then (the kernel keeps mapped pages), and the reader has moved on since.
                Drop(segment, finished ? 0 : from, to);
                if (finished) segment.Dispose();
            }
        }
    }

    /// <summary>Under _gate: the first range (oldest segment first, kicks before drops) that is due, if any.</summary>
    private bool NextRange(out int slot, out long from, out long to, out bool kick)
    {
        int tracked = _sealedCount + (_hasActive ? 1 : 0);
        for (slot = 0; slot < tracked; slot++)
        {
            ref Tracked t = ref _tracked[slot];
            // Offsets of this segment that are half a window / a whole window behind the writer (never past its end).
            long kickTo = Math.Min(t.EndBytes, _appendedBytes - _keepBytes / 2 - t.BaseBytes);
            long dropTo = Math.Min(t.EndBytes, _appendedBytes - _keepBytes - t.BaseBytes);
            bool sealedEnd = t.EndBytes != long.MaxValue;
            // Whole steps only, except a sealed segment's last piece.
            if (kickTo - t.KickedUpTo >= _kickStepBytes || (sealedEnd && kickTo == t.EndBytes && t.KickedUpTo < kickTo))
            {
                from = t.KickedUpTo; to = kickTo; kick = true;
                return true;
            }
            if (dropTo - t.DroppedUpTo >= _stepBytes || (sealedEnd && dropTo == t.EndBytes && t.DroppedUpTo < dropTo))
            {
                from = t.DroppedUpTo; to = dropTo; kick = false;
                return true;
            }
        }
        from = to = 0;
        kick = false;
        return false;
    }

    private void Drop(SegmentFile segment, long from, long to)
    {
        if (to <= from) return;
        segment.DropCached(from, to - from);
        Interlocked.Increment(ref _callsMade);
    }

    /// <summary>Writer: stops the thread and disposes the sealed segments it still held (their pages stay cached).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
        }
        _wake.Set();
        bool joined = _thread.Join(StopTimeoutMs);
        lock (_gate)
        {
            for (int i = 0; i < _sealedCount; i++) _tracked[i].Segment.Dispose();
            _sealedCount = 0;
            _hasActive = false;
            Array.Clear(_tracked);
        }
        // Never dispose the event under a thread still inside a system call: it would wake to a disposed handle.
        if (joined) _wake.Dispose();
    }
}
