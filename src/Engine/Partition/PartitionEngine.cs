using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Ring;
using Wallet.Engine.Snapshots;

namespace Wallet.Engine.Partition;

/// <summary>
/// One partition, single-node: ingress ring (MPSC) → sequencer stage (stamp, journal, group commit) → commit
/// position → BLP (ledger state machine, event journal) → egress ring → result handler. Three threads, each
/// owning one duty; see docs/ARCHITECTURE.md for the picture.
/// </summary>
public sealed class PartitionEngine : IDisposable
{
    public const string CommandJournalPrefix = "commands";
    public const string EventJournalPrefix = "events";
    public const string SnapshotPrefix = "snapshot";

    /// <summary>
    /// A file in the data directory that asks the next start to check (and repair) the whole event journal: written by
    /// the read model's projector when it reads a damaged event record (<see cref="EventJournalRecheck"/>).
    /// </summary>
    public const string EventJournalRecheckFile = "events.recheck";

    private readonly PartitionOptions _options;
    private readonly RingBuffer<CommandSlot> _ingress;
    private readonly RingBuffer<ResultSlot> _egress;
    private readonly Journal.Journal _commands;
    private readonly Journal.Journal? _events;
    private readonly SnapshotScheduler _snapshots;
    private readonly RetentionSignal? _retention;
    private readonly string _snapshotDirectory;
    private readonly SequencerStage? _sequencerStage;
    private readonly LedgerStage _ledgerStage;
    private readonly BatchEventProcessor<CommandSlot, SequencerStage>? _sequencerProcessor;
    /// <summary>External sequencing: the ring of committed commands the consensus module feeds the BLP from.</summary>
    private readonly RingBuffer<CommandSlot>? _committed;
    private readonly SequencerPort? _port;
    private readonly BatchEventProcessor<CommandSlot, LedgerStage> _ledgerProcessor;
    private readonly BatchEventProcessor<ResultSlot, ResultDispatch> _egressProcessor;
    private readonly Sequence _commitPosition = new();
    private readonly List<Thread> _threads = new(3);
    private int _state = (int)PartitionState.Created;
    private int _stopCalled;
    private Exception? _failure;

    private PartitionEngine(PartitionOptions options, IPartitionResultHandler results)
    {
        _options = options;
        // At most 64 idle large buffers (64 MiB at the 1 MiB default command limit); more in flight are allocated.
        Payloads = new PayloadPool(MaxPooledPayloads, Math.Max(options.MaxCommandBytes, PayloadPool.SmallPayloadBytes + 1));
        _resultsPool = new BufferPool<CreateResult>(MaxPooledPayloads, Math.Max(options.Ledger.MaxBatchSize + 1, InitialResultsPerSlot + 1));
        Directory.CreateDirectory(options.DataDirectory);
        _commands = Journal.Journal.Open(new JournalOptions
        {
            Directory = options.DataDirectory,
            FilePrefix = CommandJournalPrefix,
            Fsync = options.Fsync,
            SegmentSizeBytes = options.JournalSegmentSizeBytes,
            PrefaultAheadBytes = options.JournalPrefaultAheadBytes,
            StagedWriteMinRecordBytes = options.JournalStagedWriteMinBytes,
            PageCacheKeepBytes = options.JournalPageCacheKeepBytes,
            MaxRecordBytes = options.MaxCommandBytes,
            Repair = options.RepairJournal,
            OpenValidation = options.RepairJournal ? JournalOpenValidation.AllRecords : options.JournalOpenValidation,
        });
        try
        {
            if (options.EventJournal)
            {
                // Events are derived and never synced: after a power loss the recent part may have holes, which the open
                // cuts (Repair) and recovery regenerates from commands. Recent = the last segment and the drop-behind
                // window's worth before it (older pages were written back as the writer passed them), checked at
                // open; older segments are checked by the projector as it reads them. Without drop-behind any page may
                // still be unwritten, and after a projector met a damaged record (the recheck file) the whole journal
                // is checked and repaired.
                bool recheck = EventJournalRecheck.IsRequested(options.DataDirectory);
                bool tailOnly = options.JournalPageCacheKeepBytes > 0 && !recheck;
                _events = Journal.Journal.Open(new JournalOptions
                {
                    OpenValidation = tailOnly ? JournalOpenValidation.LastSegment : JournalOpenValidation.AllRecords,
                    OpenCheckTailBytes = !tailOnly ? 0
                        : options.EventJournalCheckTailBytes >= 0 ? options.EventJournalCheckTailBytes
                        : EventJournalRecheck.CheckTailBytes(options.JournalPageCacheKeepBytes),
                    Directory = options.DataDirectory,
                    FilePrefix = EventJournalPrefix,
                    // Events are derived: on loss they are regenerated from commands, so they never need a sync of their own.
                    Fsync = FsyncPolicy.None,
                    SegmentSizeBytes = Math.Min(JournalOptions.MaxSegmentSizeBytes, Math.Max(options.JournalSegmentSizeBytes, 4L * EventBatchSink.MaxBytesFor(options.Ledger))),
                    MaxRecordBytes = EventBatchSink.MaxBytesFor(options.Ledger),
                    PrefaultAheadBytes = options.JournalPrefaultAheadBytes,
                    StagedWriteMinRecordBytes = options.JournalStagedWriteMinBytes,
                    PageCacheKeepBytes = options.JournalPageCacheKeepBytes,
                    Repair = true,
                });
                if (recheck) EventJournalRecheck.Done(options.DataDirectory); // checked and repaired in full just now
            }
            var store = new SnapshotStore(options.DataDirectory, SnapshotPrefix, options.SnapshotRetainCount);
            bool external = options.Sequencing == PartitionSequencing.External;
            // Under consensus only what is known committed is applied on open: anything applied before (events,
            // snapshots) was committed, and the consensus module republishes the rest once a majority has it.
            long replayUpTo = !external ? long.MaxValue
                : Math.Max(options.CommittedIndexHint, _events is null || _events.LastIndex < _events.FirstIndex ? 0 : _events.LastIndex);
            // A snapshot received from the leader is installed by rename first, then the journals restart after it; a crash
            // in between is finished here (the rename was the commit point).
            if (external) CommandRetention.ReconcileInstalledSnapshot(store, _commands, _events);
            (LedgerStateMachine ledger, RecoveryReport report) = LedgerRecovery.Recover(options.Ledger, _commands, store, _events, replayUpTo);
            Recovery = report;
            // Static allocation (TIGER_STYLE): the tables that grow with traffic are sized once, before the first command.
            if (options.PreallocateTransfers) ledger.ReserveCapacity(ledger.AccountCount, options.Ledger.TransferSlotCapacity);
            TransferCapacityAtStart = ledger.TransferSlabCapacity;

            IWaitStrategy wait = options.CreateWaitStrategy();
            _ingress = RingBuffer<CommandSlot>.CreateMultiProducer(options.IngressRingSize, wait,
                _ => new CommandSlot { Payload = new byte[PayloadPool.SmallPayloadBytes] });
            _egress = RingBuffer<ResultSlot>.CreateSingleProducer(options.EgressRingSize, options.CreateWaitStrategy(),
                _ => new ResultSlot { Partition = options.PartitionId, Results = new CreateResult[InitialResultsPerSlot], Payload = [] });

            RetentionSignal? retention = options.JournalRetention == JournalRetention.BeforeOldestSnapshot ? new RetentionSignal() : null;
            _snapshots = new SnapshotScheduler(store, options.SnapshotIntervalCommands, ledger.LastIndex, retention,
                lastWrittenIndex: report.Snapshot?.Header.Index ?? -1);
            _retention = retention;
            _snapshotDirectory = store.Directory;
            _ledgerStage = new LedgerStage(ledger, _egress, _events, _snapshots, external ? store : null) { Retention = retention, Payloads = Payloads, Results = _resultsPool };
            if (!external)
            {
                _sequencerStage = new SequencerStage(_commands, options.Clock, options.Term, _commitPosition, wait, advancesCommit: true) { Retention = retention };
                _sequencerProcessor = new BatchEventProcessor<CommandSlot, SequencerStage>(_ingress, _ingress.NewBarrier(), _sequencerStage, maxBatchSize: options.MaxBatchSize);
                // The BLP waits on the commit position only (under consensus another module advances it). The commit
                // position is the barrier's cursor, not a dependent, so a blocked BLP is woken by the signal that
                // follows every advance instead of polling with sleeps. Commit never passes what was published.
                _ledgerProcessor = new BatchEventProcessor<CommandSlot, LedgerStage>(_ingress, SequenceBarrier.ForSequence(_commitPosition, wait), _ledgerStage, maxBatchSize: options.MaxBatchSize);
                _ingress.AddGatingSequences(_ledgerProcessor.Sequence);
            }
            else
            {
                // The consensus module polls the ingress ring (leader: it sequences), and publishes committed commands
                // (its own or the leader's) into a second ring the BLP consumes: the BLP never sees an uncommitted entry,
                // so a new leader may replace the uncommitted tail without the BLP noticing.
                _committed = RingBuffer<CommandSlot>.CreateSingleProducer(options.IngressRingSize, options.CreateWaitStrategy(),
                    _ => new CommandSlot { Payload = new byte[PayloadPool.SmallPayloadBytes] });
                _ledgerProcessor = new BatchEventProcessor<CommandSlot, LedgerStage>(_committed, _committed.NewBarrier(), _ledgerStage, maxBatchSize: options.MaxBatchSize);
                _committed.AddGatingSequences(_ledgerProcessor.Sequence);
                EventPoller<CommandSlot> poller = _ingress.NewPoller();
                _ingress.AddGatingSequences(poller.Sequence);
                _port = new SequencerPort(this, poller, _committed, _commands, ledger.LastIndex, ledger.LastTimestamp);
            }
            _egressProcessor = new BatchEventProcessor<ResultSlot, ResultDispatch>(_egress, _egress.NewBarrier(), new ResultDispatch(results, _resultsPool));
            _egress.AddGatingSequences(_egressProcessor.Sequence);
        }
        catch
        {
            _events?.Dispose();
            _commands.Dispose();
            throw;
        }
    }

    /// <summary>Opens (recovering from snapshot + journal) and starts a partition.</summary>
    public static PartitionEngine Start(PartitionOptions options, IPartitionResultHandler results)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(results);
        options.Validate();
        var engine = new PartitionEngine(options, results);
        engine.StartThreads();
        return engine;
    }

    /// <summary>The derived event journal (null when off): the read model reads it with its own reader; the engine owns and closes it.</summary>
    public Journal.Journal? EventJournal => _events;

    public RecoveryReport Recovery { get; }
    public PartitionState State => (PartitionState)Volatile.Read(ref _state);
    /// <summary>The exception that stopped the partition, when <see cref="State"/> is Failed.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);
    /// <summary>Last log index written to the command journal.</summary>
    public long JournaledIndex => _sequencerStage?.LastIndex ?? _commands.LastIndex;
    /// <summary>Last log index the BLP applied.</summary>
    public long AppliedIndex => _ledgerStage.AppliedIndex;
    public long LastSnapshotIndex => _snapshots.LastWrittenIndex;

    /// <summary>The directory holding this partition's snapshot files (prefix <see cref="SnapshotPrefix"/>).</summary>
    public string SnapshotDirectory => _snapshotDirectory;

    private const int MaxPooledPayloads = 64;
    private readonly BufferPool<CreateResult> _resultsPool;

    /// <summary>Results arrays lent to egress slots for commands of more than 64 items.</summary>
    internal BufferPool<CreateResult> ResultsPool => _resultsPool;

    // Slots are sized at start for every small command (a 4 KiB payload is 32 transfers; 64 results), so a ring of
    // small or coalesced commands never grows a slot under load: 4 KiB + 512 B per slot (≈ 18 MiB for 4,096 slots).
    private const int InitialResultsPerSlot = 64;

    /// <summary>Large command payloads in flight borrow from here (both rings); see <see cref="PayloadPool"/>.</summary>
    internal PayloadPool Payloads { get; }

    /// <summary>Stored-transfer slots allocated when the partition started (the whole window with <see cref="PartitionOptions.PreallocateTransfers"/>).</summary>
    public int TransferCapacityAtStart { get; }

    /// <summary>
    /// Journal retention (<see cref="JournalRetention.BeforeOldestSnapshot"/>): command-journal records below this index
    /// are inside every retained snapshot and may be deleted; 0 when retention is off or nothing is covered yet. Under
    /// external sequencing the consensus module owns the command journal and acts on it (keeping its own margin).
    /// </summary>
    public long CommandRetentionIndex => _retention?.PruneBelowIndex ?? 0;
    /// <summary>Commands and queries in the ingress ring not yet applied by the BLP (ring occupancy; monitoring only).</summary>
    public long IngressBacklog => Math.Max(0, _ingress.Cursor - _ledgerProcessor.Sequence.Value);
    /// <summary>Capacity of the ingress ring.</summary>
    public int IngressCapacity => _options.IngressRingSize;
    public int MaxCommandBytes => _options.MaxCommandBytes;
    public PartitionSequencing Sequencing => _options.Sequencing;

    /// <summary>
    /// The seam a consensus module drives the partition through (external sequencing only; null when the
    /// partition sequences itself). One thread only: the module's driver.
    /// </summary>
    public SequencerPort? Sequencer => _port;

    private void StartThreads()
    {
        if (_sequencerProcessor is not null) _threads.Add(StartThread("sequencer", _sequencerProcessor.Run));
        _threads.Add(StartThread("blp", _ledgerProcessor.Run));
        _threads.Add(StartThread("egress", _egressProcessor.Run));
        Volatile.Write(ref _state, (int)PartitionState.Running);
    }

    private Thread StartThread(string name, Action run)
    {
        var thread = new Thread(() =>
        {
            try { run(); }
#pragma warning disable CA1031 // A stage failure must stop the partition and be reported, whatever it is.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.CompareExchange(ref _failure, ex, null);
                Volatile.Write(ref _state, (int)PartitionState.Failed);
                _ledgerStage.Abort = true;
                _sequencerProcessor?.Halt();
                _ledgerProcessor.Halt();
                _egressProcessor.Halt();
            }
        })
        { IsBackground = true, Name = $"p{_options.DataDirectory.GetHashCode(StringComparison.Ordinal) & 0xff}-{name}" };
        thread.Start();
        return thread;
    }

    /// <summary>
    /// Offers a command or query to the ingress ring without blocking. Thread-safe (multi-producer).
    /// <see cref="SubmitStatus.Busy"/> when the ring is full: backpressure, nothing queued.
    /// </summary>
    public SubmitStatus TrySubmit(ushort kind, long correlationId, long sessionId, ReadOnlySpan<byte> payload)
    {
        if (State != PartitionState.Running) return SubmitStatus.NotRunning;
        if (payload.Length > _options.MaxCommandBytes) return SubmitStatus.TooLarge;
        if (!QueryKind.IsQuery(kind) && !Enum.IsDefined((CommandKind)kind)) return SubmitStatus.UnknownKind;
        if (!_ingress.TryNext(out long sequence)) return SubmitStatus.Busy;
        ref CommandSlot slot = ref _ingress[sequence];
        slot.Kind = kind;
        slot.Prestamped = false;
        slot.CorrelationId = correlationId;
        slot.SessionId = sessionId;
        slot.FillPayload(payload, Payloads);
        _ingress.Publish(sequence);
        _port?.SignalIngress();
        return SubmitStatus.Accepted;
    }

    /// <summary>
    /// True when the partition runs and its ingress ring has no room for one more command right now. A hint, not a
    /// reservation: other producers may fill or free the ring before the caller submits (a gateway uses it to refuse a
    /// request spread over several partitions whole, instead of having one part taken and another refused).
    /// </summary>
    public bool IngressFull => State == PartitionState.Running && _ingress.RemainingCapacity() < 1;

    /// <summary>Asks the BLP to snapshot at its next batch end; an idle BLP is given an empty batch so that one comes.</summary>
    public void RequestSnapshot()
    {
        _snapshots.Request();
        if (State == PartitionState.Running) TrySubmitInternalQuery();
    }

    /// <summary>
    /// Graceful stop: refuse new commands, let everything already in the ring be journaled, applied and
    /// answered, optionally take a final snapshot, then stop the threads and close the journals.
    /// </summary>
    public bool Stop(TimeSpan timeout, bool snapshot = true)
    {
        if (Interlocked.Exchange(ref _stopCalled, 1) == 1) return State == PartitionState.Stopped;
        Interlocked.CompareExchange(ref _state, (int)PartitionState.Stopping, (int)PartitionState.Running);
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        // A failed partition cannot drain: skip straight to stopping its threads.
        // Under external sequencing the consensus module (stopped first by its owner) decides what is committed: drain
        // what it published.
        RingBuffer<CommandSlot> applied = _committed ?? _ingress;
        bool drained = State != PartitionState.Failed && WaitUntil(() => _ledgerProcessor.Sequence.Value >= applied.Cursor && _egressProcessor.Sequence.Value >= _egress.Cursor, deadline);
        // Nothing to snapshot at index 0, nor when the newest snapshot (written or recovered) is already current.
        if (drained && snapshot && State == PartitionState.Stopping && AppliedIndex > 0 && AppliedIndex > LastSnapshotIndex)
        {
            _snapshots.Request();
            // The request is served at a batch end; an idle BLP has none coming, so give it an empty one.
            if (_port is null) TrySubmitInternalQuery();
            else _port.TryPublishQuery(QueryKind.LookupAccounts, 0, -1, []);
            WaitUntil(() => LastSnapshotIndex >= AppliedIndex || _snapshots.LastError is not null, deadline);
            _snapshots.WaitIdle(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)));
        }
        _sequencerProcessor?.Halt();
        _ledgerProcessor.Halt();
        _egressProcessor.Halt();
        bool joined = true;
        foreach (Thread t in _threads) joined &= t.Join(TimeSpan.FromMilliseconds(Math.Max(1000, deadline - Environment.TickCount64)));
        _snapshots.Dispose();
        _events?.Dispose();
        _commands.Dispose();
        if (State != PartitionState.Failed) Volatile.Write(ref _state, (int)PartitionState.Stopped);
        return drained && joined;
    }

    private void TrySubmitInternalQuery()
    {
        if (!_ingress.TryNext(out long sequence)) return;
        ref CommandSlot slot = ref _ingress[sequence];
        slot.Kind = QueryKind.LookupAccounts;
        slot.Prestamped = false;
        slot.CorrelationId = 0;
        slot.SessionId = -1;
        slot.PayloadLength = 0;
        _ingress.Publish(sequence);
    }

    private static bool WaitUntil(Func<bool> condition, long deadlineTicks)
    {
        while (!condition())
        {
            if (Environment.TickCount64 >= deadlineTicks) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(30));
    }

    /// <summary>Adapter so the egress processor is specialised on a sealed struct, not an interface call chain.</summary>
    private readonly struct ResultDispatch(IPartitionResultHandler handler, BufferPool<CreateResult> pool) : IEventHandler<ResultSlot>
    {
        public void OnEvent(ref ResultSlot data, long sequence, bool endOfBatch)
        {
            handler.OnResult(ref data, endOfBatch);
            if (data.OwnResults is { } own)
            {
                // The handler has encoded or copied the results: the borrowed array goes back, the slot keeps its own.
                pool.Return(data.Results);
                data.Results = own;
                data.OwnResults = null;
            }
        }

        public void OnBatchStart(long batchSize) { }
        public void OnStart() { }
        public void OnShutdown() { }
        public void OnTimeout(long sequence) { }
    }
}
