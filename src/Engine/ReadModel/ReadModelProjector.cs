using RocksDbSharp;
using Wallet.Engine.Journal;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Keeps a <see cref="ReadModelStore"/> up to date with a partition's event journal, on its own background thread.
/// The write path never waits for it: it only reads journal bytes the BLP already published, and a failure here
/// (disk full, a corrupt record, a deleted segment) stops the projection — reported in <see cref="State"/> and
/// <see cref="LastError"/> and retried from the checkpoint — never the partition. Works on any replica: its only
/// input is the event journal, identical everywhere.
/// </summary>
public sealed class ReadModelProjector : IDisposable
{
    private readonly ReadModelStore _store;
    private bool _recheckRequested;
    private readonly Journal.Journal _events;
    private readonly ReadModelOptions _options;
    private readonly ManualResetEventSlim _wake = new(false);
    private Thread? _thread;
    private volatile bool _stopping;
    private volatile bool _rebuildRequested;
    private int _state = (int)ProjectorState.Created;
    private long _appliedIndex;
    private long _eventsApplied;
    private long _behindSinceTicks;
    private long _appliedTimestampNs; // command stamp of the newest applied record; 0 before the first batch lands
    private Exception? _lastError;
    private long _rebuilds;
    private long _unflushedSinceMs; // 0 = nothing unflushed

    public ReadModelProjector(ReadModelStore store, Journal.Journal events, ReadModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(events);
        if (store.IsReadOnly) throw new ArgumentException("the read model was opened read-only", nameof(store));
        _options = options ?? new ReadModelOptions();
        _options.Validate();
        _store = store;
        _events = events;
        _appliedIndex = store.Position.Index;
        _eventsApplied = store.Position.EventsApplied;
        _appliedTimestampNs = store.Position.TimestampNs;
    }

    public ReadModelStore Store => _store;
    public ProjectorState State => (ProjectorState)Volatile.Read(ref _state);
    public Exception? LastError => Volatile.Read(ref _lastError);
    /// <summary>Last log index applied and checkpointed.</summary>
    public long AppliedIndex => Volatile.Read(ref _appliedIndex);
    public long EventsApplied => Volatile.Read(ref _eventsApplied);
    /// <summary>Times the view was cleared and rebuilt from the journal (on request or because it no longer matched it).</summary>
    public long Rebuilds => Volatile.Read(ref _rebuilds);

    /// <summary>
    /// True once this projector met a damaged event record and asked the next start to check and repair the whole event
    /// journal (<see cref="Partition.EventJournalRecheck"/>): the view is stuck until the node restarts. Alert on it.
    /// </summary>
    public bool EventJournalRecheckRequested => Volatile.Read(ref _recheckRequested);

    public ReadModelLag Lag
    {
        get
        {
            long journal = _events.LastIndex;
            long view = AppliedIndex;
            long behind = Volatile.Read(ref _behindSinceTicks);
            long events = Math.Max(0, journal - view);
            long behindMs = events == 0 || behind == 0 ? 0 : Math.Max(0, Environment.TickCount64 - behind);
            // In ledger time (the commands' stamps), so it is the view's staleness, not the projector's busy time. Before
            // the first batch lands the view has no stamp of its own: then "behind for" is the best bound we have.
            long applied = Volatile.Read(ref _appliedTimestampNs);
            long ageMs = events == 0 ? 0 : applied == 0 ? behindMs : Math.Max(0, _events.LastTimestamp - applied) / 1_000_000;
            return new ReadModelLag(journal, view, events, behindMs, ageMs);
        }
    }

    /// <summary>Starts the background thread.</summary>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, (int)ProjectorState.Running, (int)ProjectorState.Created) != (int)ProjectorState.Created)
            throw new InvalidOperationException("the projector was already started");
        _thread = new Thread(Run) { IsBackground = true, Name = "readmodel" };
        _thread.Start();
    }

    /// <summary>Clears the view and projects the whole journal again (asynchronously, on the projector's thread).</summary>
    public void RequestRebuild()
    {
        _rebuildRequested = true;
        _wake.Set();
    }

    /// <summary>Wakes the projector now instead of at its next idle check (e.g. after a batch was appended).</summary>
    public void Wake() => _wake.Set();

    /// <summary>Blocks until the view has applied <paramref name="index"/> (or the journal's last index), or the timeout passes.</summary>
    public bool WaitForIndex(long index, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (AppliedIndex < index)
        {
            if (Environment.TickCount64 >= deadline || State is ProjectorState.Stopped) return AppliedIndex >= index;
            Thread.Sleep(1);
        }
        return true;
    }

    /// <summary>
    /// Applies everything the journal holds now, on the calling thread (tools and tests; not while the background
    /// thread runs). Returns the records applied. <paramref name="progress"/> hears the applied index after each batch.
    /// </summary>
    public long CatchUp(Action<long>? progress = null)
    {
        if (State == ProjectorState.Running && _thread is not null) throw new InvalidOperationException("the background thread is running");
        long total = 0;
        JournalReader? reader = OpenReader();
        if (reader is null) return 0;
        using var projection = new EventProjection(_store.Position, _store, _options);
        using (reader)
        {
            int n;
            while ((n = Pump(reader, projection)) > 0)
            {
                total += n;
                progress?.Invoke(AppliedIndex);
            }
        }
        FlushIfDue(force: true);
        return total;
    }

    private void Run()
    {
        // Derived data: when the cores are contended, requests come first and the view catches up after.
        Ring.BackgroundPriority.LowerCurrentThread();
        JournalReader? reader = null;
        EventProjection? projection = null;
        try
        {
            while (!_stopping)
            {
                try
                {
                    if (_rebuildRequested)
                    {
                        _rebuildRequested = false;
                        reader?.Dispose();
                        reader = null;
                        // No batch may land after the clear: wait for the one in flight first.
                        projection?.Dispose();
                        projection = null;
                        Clear();
                    }
                    if (reader is null)
                    {
                        // The checkpoint is read only with no batch in flight (else it could be one batch stale, and
                        // history chunks re-projected from it would overlap the ones that then land).
                        projection?.Dispose();
                        projection = null;
                        reader = OpenReader();
                        if (reader is null)
                        {
                            Idle();
                            continue;
                        }
                        projection = new EventProjection(_store.Position, _store, _options);
                    }
                    int applied = Pump(reader, projection!);
                    if (Volatile.Read(ref _state) == (int)ProjectorState.Faulted) Volatile.Write(ref _state, (int)ProjectorState.Running);
                    FlushIfDue(force: false);
                    if (applied == 0) Idle();
                }
#pragma warning disable CA1031 // Any failure of the projection must be contained here: the write path must not notice.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    // While stopping (e.g. the journal closed under a slow last batch) nothing is reported: the
                    // checkpoint is intact and the next start resumes from it. Never let it escape the thread.
                    if (_stopping) break;
                    if (ex is Journal.JournalCorruptException corrupt) ex = RequestRecheck(corrupt);
                    Volatile.Write(ref _lastError, ex);
                    Volatile.Write(ref _state, (int)ProjectorState.Faulted);
                    reader?.Dispose();
                    reader = null;
                    _wake.Wait(_options.FaultRetryMs);
                    _wake.Reset();
                }
            }
        }
        finally
        {
            reader?.Dispose();
            projection?.Dispose();
            try
            {
                FlushIfDue(force: true);
            }
#pragma warning disable CA1031 // Stopping must not throw; an unflushed view is re-projected from its last flush.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Volatile.Write(ref _lastError, ex);
            }
        }
    }

    /// <summary>
    /// A damaged event record (the open checks only the event journal's recent tail): ask the next start to check and
    /// repair the whole event journal, and say so in the fault (GET /v1/readmodel's last_error).
    /// </summary>
    private InvalidOperationException RequestRecheck(Journal.JournalCorruptException corrupt)
    {
        string directory = _events.Options.Directory;
        bool requested = Partition.EventJournalRecheck.Request(directory, corrupt.Message);
        if (requested) Volatile.Write(ref _recheckRequested, true);
        return new InvalidOperationException(requested
            ? $"{corrupt.Message}. The event journal is damaged there: restart the node — the start checks the whole event journal, cuts it at the damage and regenerates the rest from the command journal (requested in {Path.Combine(directory, Partition.PartitionEngine.EventJournalRecheckFile)})."
            : $"{corrupt.Message}. The event journal is damaged there, and the recheck request could not be written to {directory}: stop the node, delete the events-*.seg files from the damaged one on, and start it (they are regenerated from the command journal).", corrupt);
    }

    private void FlushIfDue(bool force)
    {
        long since = _unflushedSinceMs;
        if (since == 0) return;
        if (!force && Environment.TickCount64 - since < _options.FlushIntervalMs) return;
        _store.Flush();
        _unflushedSinceMs = 0;
    }

    /// <summary>How long after lowering the L0 trigger (caught up) a full batch may raise it again (tests: 0).</summary>
    internal int Level0RaiseHoldMs { get; init; } = 1000;

    private void Idle()
    {
        _wake.Wait(_options.IdleWaitMs);
        _wake.Reset();
    }

    /// <summary>Reads up to one batch from the journal, writes it with its checkpoint; returns the records applied.</summary>
    private int Pump(JournalReader reader, EventProjection projection)
    {
        long journalLast = _events.LastIndex;
        if (journalLast > AppliedIndex && Volatile.Read(ref _behindSinceTicks) == 0)
            Volatile.Write(ref _behindSinceTicks, Environment.TickCount64);
        int records = 0;
        while (records < _options.MaxRecordsPerBatch && projection.PendingEvents < _options.MaxEventsPerBatch && reader.TryRead(out JournalRecord record))
        {
            projection.Add(in record);
            records++;
        }
        if (records == 0)
        {
            // Caught up: let the last batch land before reporting it applied (and before idling).
            if (projection.WriteInFlight)
            {
                projection.Drain();
                Publish(projection.Written);
            }
            if (_events.LastIndex <= AppliedIndex) Volatile.Write(ref _behindSinceTicks, 0);
            if (!projection.WriteInFlight) _store.SetLevel0CompactionTrigger(ReadModelStore.Level0CompactionTriggerFilesCaughtUp);
            return 0;
        }
        // A full batch means a backlog: let L0 gather files between compactions again (ReadModelStore). Not within
        // Level0RaiseHoldMs of lowering it: a stream near the apply rate alternates full batches and idle moments, and
        // each change makes RocksDB write and sync a new options file — at most one lowering and one raise per hold.
        if ((records >= _options.MaxRecordsPerBatch || projection.PendingEvents >= _options.MaxEventsPerBatch)
            && Environment.TickCount64 - _store.Level0CompactionTriggerChangedMs >= Level0RaiseHoldMs)
            _store.SetLevel0CompactionTrigger(ReadModelStore.Level0CompactionTriggerFiles);
        projection.Commit();
        if (_unflushedSinceMs == 0) _unflushedSinceMs = Environment.TickCount64;
        Publish(projection.Written);
        return records;
    }

    /// <summary>Reports a position that is in the database (its batch's write completed).</summary>
    private void Publish(ViewPosition position)
    {
        Volatile.Write(ref _eventsApplied, position.EventsApplied);
        Volatile.Write(ref _appliedTimestampNs, position.TimestampNs);
        Volatile.Write(ref _appliedIndex, position.Index);
        if (_events.LastIndex <= position.Index) Volatile.Write(ref _behindSinceTicks, 0);
    }

    /// <summary>
    /// Positions a reader after the checkpoint, checking first that the checkpointed record is still the one in the
    /// journal (same checksum). A view ahead of the journal, or built from another journal, is cleared and rebuilt.
    /// Null when there is nothing to read yet.
    /// </summary>
    private JournalReader? OpenReader()
    {
        ViewPosition position = _store.Position;
        long first = _events.FirstIndex;
        long last = _events.LastIndex;
        if (position.Index > 0)
        {
            bool matches = false;
            if (position.Index <= last && position.Index >= first)
            {
                using JournalReader check = _events.OpenReader(position.Index);
                matches = check.TryRead(out JournalRecord record) && record.Checksum == position.Checksum;
            }
            else if (position.Index < first)
            {
                throw new InvalidOperationException(
                    $"the event journal starts at index {first} but the read model stopped at {position.Index}: the records between were deleted; restore them or rebuild the journal's history");
            }
            if (!matches)
            {
                Clear();
                position = ViewPosition.Empty;
            }
        }
        long from = position.Index + 1;
        if (position.Index == 0) from = Math.Max(1, first);
        if (position.Index == 0 && first > 1 && last >= first)
            throw new InvalidOperationException($"the event journal starts at index {first}: a view from scratch needs it from index 1");
        if (from > last + 1) return null;
        return _events.OpenReader(from);
    }

    /// <summary>Removes every row and the checkpoint in one atomic batch: queries see the old view or an empty one.</summary>
    private void Clear()
    {
        _store.Clear();
        if (_unflushedSinceMs == 0) _unflushedSinceMs = Environment.TickCount64;
        Volatile.Write(ref _appliedIndex, 0);
        Volatile.Write(ref _eventsApplied, 0);
        Volatile.Write(ref _appliedTimestampNs, 0);
        Interlocked.Increment(ref _rebuilds);
    }

    /// <summary>
    /// Stops the background thread (after its current batch). The store stays open: the caller owns it, and must not
    /// close it while this returns false (the thread has not finished within the timeout and may still use it).
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        _wake.Set();
        bool joined = _thread is null || _thread.Join(timeout);
        Volatile.Write(ref _state, (int)ProjectorState.Stopped);
        return joined;
    }

    public void Dispose()
    {
        // A thread that did not finish keeps the wake handle; the process is ending or the caller leaks the store too.
        if (Stop(TimeSpan.FromSeconds(10))) _wake.Dispose();
    }
}
