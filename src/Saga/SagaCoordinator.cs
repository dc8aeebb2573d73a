using System.Runtime.InteropServices;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Ring;
using Wallet.Engine.Snapshots;

namespace Wallet.Saga;

/// <summary>
/// The non-deterministic driver of the saga sequencer, in process over real <see cref="PartitionEngine"/>s.
/// One driver thread: drains submissions and step answers from an inbox ring, journals them (Begin/StepOutcome/Tick
/// records in its own journal, flushed per the fsync policy) before applying them to the <see cref="SagaStateMachine"/>,
/// sends the step transfers it emits (one <see cref="CommandKind.SystemTransfers"/> command per partition per round),
/// resends unanswered steps with the same ids, and tells each submitter its outcome once it is journaled.
/// On start it replays its journal and resends every open saga's steps: a crash anywhere loses nothing decided.
/// </summary>
public sealed partial class SagaCoordinator : IDisposable
{
    private readonly SagaCoordinatorOptions _options;
    private readonly IReadOnlyList<PartitionEngine> _partitions;
    private readonly Journal _journal;
    private readonly SnapshotStore _snapshots;
    private long _lastSnapshotIndex;
    private int _openSagas;
    private long _snapshotsWritten;
    private long _snapshotFailures;
    private long _segmentsPruned;
    private volatile Exception? _lastSnapshotError;
    private readonly RingBuffer<InboxSlot> _inbox;
    private readonly EventPoller<InboxSlot> _poller;
    // No spinning before blocking: an idle driver is waiting for partitions' answers, which need the very cores a spin
    // would burn (on 2 cores the default spin of ManualResetEventSlim cost a third of this thread's time under load).
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly Thread _thread;
    private readonly Outbound[] _outbound;
    private readonly SagaWaiters<ISagaCompletion> _waiters;
    private readonly byte[] _beginBuffer;
    private readonly byte[] _outcomeBuffer;
    private int _beginCount;
    private int _outcomeCount;
    private long _nextCorrelation;
    private long _nextTickNs;
    private long _nextRetryNs;
    private ulong _retryCursor;
    private int _idle;
    private volatile bool _stopping;
    private volatile Exception? _failure;
    private static long s_epoch;
    private long _droppedAnswers;
    private long _stepsResent;
    private long _clearingFailures;
    private long _rounds;
    private long _stepCommands;
    private long _stepsSent;

    private SagaCoordinator(SagaCoordinatorOptions options, IReadOnlyList<PartitionEngine> partitions, Journal journal, SnapshotStore snapshots, SagaStateMachine machine, long nextCorrelation, SagaRecovery recovery)
    {
        _options = options;
        _partitions = partitions;
        _journal = journal;
        _snapshots = snapshots;
        Recovery = recovery;
        _lastSnapshotIndex = recovery.SnapshotIndex;
        _openSagas = machine.ActiveCount;
        Machine = machine;
        _nextCorrelation = nextCorrelation;
        _inbox = RingBuffer<InboxSlot>.CreateMultiProducer(options.InboxSize, new BlockingWaitStrategy());
        _poller = _inbox.NewPoller();
        _inbox.AddGatingSequences(_poller.Sequence);
        _outbound = new Outbound[partitions.Count];
        var epoch = Interlocked.Increment(ref s_epoch) & 0x7FFF;
        for (var p = 0; p < _outbound.Length; p++) _outbound[p] = new Outbound(options.StepRingSize, options.Saga.MaxActiveSagas * 2, epoch);
        _waiters = new SagaWaiters<ISagaCompletion>(options.Saga.MaxActiveSagas);
        var batch = options.Saga.MaxBatchSize;
        _beginBuffer = new byte[batch * SagaCommands.BeginSizeBytes];
        _outcomeBuffer = new byte[batch * SagaCommands.OutcomeSizeBytes];
        _thread = new Thread(Run) { Name = "saga-coordinator", IsBackground = true };
    }

    /// <summary>The machine (read it only while the coordinator is stopped, or from tests after quiescence).</summary>
    public SagaStateMachine Machine { get; }

    public long SessionId => _options.SessionId;

    /// <summary>Step answers dropped because the inbox was full (their steps are resent).</summary>
    public long DroppedAnswers => Interlocked.Read(ref _droppedAnswers);

    /// <summary>Steps resent because no answer came within the retry interval.</summary>
    public long StepsResent => Interlocked.Read(ref _stepsResent);

    /// <summary>Driver rounds that did work (journaled, applied, sent or answered something): submissions per round = batching.</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>Step commands (SystemTransfers) sent to partitions: steps per command = how well the steps are batched.</summary>
    public long StepCommands => Interlocked.Read(ref _stepCommands);

    /// <summary>Step transfers sent to partitions (resends included).</summary>
    public long StepsSent => Interlocked.Read(ref _stepsSent);

    /// <summary>Clearing-account creations a partition refused (should be 0; steps there would fail).</summary>
    public long ClearingFailures => Interlocked.Read(ref _clearingFailures);

    /// <summary>
    /// Sagas not yet ended, as of the driver's last round (thread-safe). A client may hold its Ok already while its
    /// saga still finishes (Saga mode answers at the commit point): wait for 0 to see every balance settled.
    /// </summary>
    public int OpenSagas => Volatile.Read(ref _openSagas);

    /// <summary>How the last start recovered: from which snapshot, how many journal commands replayed after it.</summary>
    public SagaRecovery Recovery { get; }

    /// <summary>Snapshots of the saga table written by this instance.</summary>
    public long SnapshotsWritten => Interlocked.Read(ref _snapshotsWritten);

    /// <summary>Snapshot writes that failed (the coordinator carries on; the next interval tries again).</summary>
    public long SnapshotFailures => Interlocked.Read(ref _snapshotFailures);

    /// <summary>The last snapshot write's failure, if any.</summary>
    public Exception? LastSnapshotError => _lastSnapshotError;

    /// <summary>Index of the newest snapshot written or loaded (0 = none).</summary>
    public long LastSnapshotIndex => Interlocked.Read(ref _lastSnapshotIndex);

    /// <summary>Journal segment files deleted by <see cref="JournalRetention.BeforeOldestSnapshot"/>.</summary>
    public long SegmentsPruned => Interlocked.Read(ref _segmentsPruned);

    /// <summary>Set if the driver thread died (journal failure, a bug); the coordinator then accepts nothing.</summary>
    public Exception? Failure => _failure;

    /// <summary>
    /// Replays the journal in <see cref="SagaCoordinatorOptions.DataDirectory"/>, makes sure every partition has its
    /// clearing accounts, attaches to the partitions' routers and starts the driver, which first resends every open
    /// saga's steps. <paramref name="partitions"/>[p] must be partition p of the options' map, started with
    /// <paramref name="routers"/>[p].
    /// </summary>
    public static SagaCoordinator Start(SagaCoordinatorOptions options, IReadOnlyList<PartitionEngine> partitions, IReadOnlyList<SagaResultRouter> routers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(routers);
        options.Validate();
        var n = options.Saga.Map.PartitionCount;
        if (partitions.Count != n || routers.Count != n) throw new ArgumentException($"the map has {n} partitions: give one engine and one router each");
        for (var p = 0; p < n; p++)
        {
            if (routers[p].Partition != p) throw new ArgumentException($"router {p} routes partition {routers[p].Partition}", nameof(routers));
        }

        Directory.CreateDirectory(options.DataDirectory);
        var journal = Journal.Open(new JournalOptions
        {
            Directory = options.DataDirectory, FilePrefix = SagaCoordinatorOptions.JournalPrefix, Fsync = options.Fsync,
            SegmentSizeBytes = options.JournalSegmentSizeBytes,
            // The largest command the driver writes: a full batch of Begins.
            MaxRecordBytes = options.Saga.MaxBatchSize * Math.Max(SagaCommands.BeginSizeBytes, SagaCommands.OutcomeSizeBytes),
            // Recovery reads (and checks) the journal after the newest snapshot; the part before it is not read at start.
            OpenValidation = JournalOpenValidation.LastSegment,
        });
        try
        {
            var snapshots = new SnapshotStore(options.DataDirectory, SagaCoordinatorOptions.SnapshotPrefix, options.SnapshotRetainCount);
            var machine = Recover(journal, snapshots, options.Saga, out var maxCorrelation, out var report);
            var coordinator = new SagaCoordinator(options, partitions, journal, snapshots, machine, maxCorrelation + 1, report);
            for (var p = 0; p < n; p++) routers[p].Attach(coordinator);
            coordinator.CreateClearingAccounts();
            var sink = new DriverSink(coordinator);
            machine.EmitOutstanding(long.MaxValue, ref sink);
            coordinator._thread.Start();
            return coordinator;
        }
        catch
        {
            journal.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The newest valid snapshot (checksums, digest, and a journal that continues right after it), then the journal
    /// after it; with no usable snapshot, the whole journal — which must then start at index 1.
    /// </summary>
    private static SagaStateMachine Recover(Journal journal, SnapshotStore snapshots, SagaOptions options, out long maxCorrelation, out SagaRecovery report)
    {
        var machine = SagaSnapshotLoader.LoadNewest(journal, snapshots, options, out var loaded);
        var fromIndex = machine.LastIndex + 1;
        maxCorrelation = machine.MaxCorrelationId();
        var discard = new DiscardSagaSink();
        long replayed = 0;
        using (var reader = journal.OpenReader(fromIndex))
        {
            while (reader.TryRead(out var record))
            {
                var kind = (SagaCommandKind)record.Type;
                if (kind == SagaCommandKind.Begin)
                {
                    for (var at = 0; at + SagaCommands.BeginSizeBytes <= record.Payload.Length; at += SagaCommands.BeginSizeBytes)
                    {
                        maxCorrelation = Math.Max(maxCorrelation, MemoryMarshal.Read<long>(record.Payload.Slice(at + 128, 8)));
                    }
                }

                machine.Execute(new CommandStamp(record.Index, record.Term, record.Timestamp), kind, record.Payload, ref discard);
                replayed++;
            }
        }

        if (machine.LastIndex != journal.LastIndex) throw new InvalidDataException($"saga journal replay ended at {machine.LastIndex}, journal at {journal.LastIndex}");
        report = new SagaRecovery(loaded.Snapshot?.Header.Index ?? 0, replayed, loaded.Rejected.Count);
        return machine;
    }

    private void CreateClearingAccounts()
    {
        for (var p = 0; p < _partitions.Count; p++)
        {
            var accounts = Machine.Clearing.AccountsOf(p);
            // Queued before any step to this partition, so applied before them (one ring, in order).
            var status = _partitions[p].TrySubmit((ushort)CommandKind.SystemCreateAccounts, -1, SessionId, MemoryMarshal.AsBytes(accounts.AsSpan()));
            if (status != SubmitStatus.Accepted) throw new InvalidOperationException($"partition {p} refused the clearing accounts: {status}");
        }
    }

    /// <summary>
    /// Queues a cross-partition transfer (thread-safe, allocation-free). False when the inbox is full or the coordinator
    /// is stopping (tell the client Busy). <paramref name="completion"/> hears the outcome exactly once.
    /// </summary>
    public bool TrySubmit(in Transfer transfer, SagaMode mode, long correlationId, ISagaCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (_stopping || _failure is not null || !_inbox.TryNext(out var sequence)) return false;
        _inbox[sequence].SetBegin(in transfer, mode, correlationId, completion);
        _inbox.Publish(sequence);
        WakeIfIdle();
        return true;
    }

    /// <summary>
    /// Queues a batch of cross-partition transfers in one inbox claim (thread-safe, allocation-free), as a coalescing
    /// client or gateway sends them: transfer i gets correlation <paramref name="firstCorrelationId"/> + i and is
    /// exactly as if submitted alone (its own saga, its own outcome to <paramref name="completion"/>). All or none:
    /// false when the inbox has no room for the whole batch or the coordinator is stopping. One claim, one publish and
    /// at most one wake-up of the driver for the batch instead of one each. At most <see cref="MaxSubmitBatch"/> items.
    /// </summary>
    public bool TrySubmit(ReadOnlySpan<Transfer> transfers, SagaMode mode, long firstCorrelationId, ISagaCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (transfers.Length > MaxSubmitBatch)
            throw new ArgumentOutOfRangeException(nameof(transfers), transfers.Length, $"at most {MaxSubmitBatch} transfers per submission");
        if (transfers.IsEmpty) return true;
        if (_stopping || _failure is not null || !_inbox.TryNext(transfers.Length, out var hi)) return false;
        var lo = hi - transfers.Length + 1;
        for (var i = 0; i < transfers.Length; i++)
        {
            _inbox[lo + i].SetBegin(in transfers[i], mode, firstCorrelationId + i, completion);
        }

        _inbox.Publish(lo, hi);
        WakeIfIdle();
        return true;
    }

    /// <summary>Largest batch <see cref="TrySubmit(ReadOnlySpan{Transfer}, SagaMode, long, ISagaCompletion)"/> takes: a quarter of the inbox, so that one batch never fills the room the partitions' answers need.</summary>
    public int MaxSubmitBatch => _options.InboxSize / 4;

    /// <summary>Called by <see cref="SagaResultRouter"/> on a partition's egress thread.</summary>
    internal void OnPartitionResult(int partition, ref ResultSlot result)
    {
        if (result.Kind == (ushort)CommandKind.SystemCreateAccounts)
        {
            foreach (var r in result.ResultSpan)
            {
                if (r.Code is not (ResultCode.Ok or ResultCode.Exists)) Interlocked.Increment(ref _clearingFailures);
            }

            return;
        }

        if (result.Kind != (ushort)CommandKind.SystemTransfers) return;
        var outbound = _outbound[partition];
        var answers = result.ResultSpan;
        if (answers.IsEmpty) return;
        // One claim for the whole command's answers (one contended claim and one publish instead of one per answer).
        // An answer naming no step of ours (never expected) takes its slot as a Skip the driver passes over.
        if (answers.Length <= _options.InboxSize / 4 && _inbox.TryNext(answers.Length, out var hi))
        {
            var lo = hi - answers.Length + 1;
            for (var i = 0; i < answers.Length; i++)
            {
                ref var slot = ref _inbox[lo + i];
                slot.Completion = null;
                if (TryMatch(outbound, result.CorrelationId, in answers[i], out var sagaId, out var step))
                {
                    slot.Kind = InboxKind.Outcome;
                    slot.SagaId = sagaId;
                    slot.Step = step;
                    slot.Code = answers[i].Code;
                }
                else
                {
                    slot.Kind = InboxKind.Skip;
                }
            }

            _inbox.Publish(lo, hi);
            WakeIfIdle();
            return;
        }

        var published = false;
        foreach (ref readonly var r in answers)
        {
            if (!TryMatch(outbound, result.CorrelationId, in r, out var sagaId, out var step)) continue;
            if (!_inbox.TryNext(out var sequence))
            {
                // Never block a partition's egress thread: a lost answer only means a resend.
                Interlocked.Increment(ref _droppedAnswers);
                continue;
            }

            ref var slot = ref _inbox[sequence];
            slot.Kind = InboxKind.Outcome;
            slot.SagaId = sagaId;
            slot.Step = step;
            slot.Code = r.Code;
            slot.Completion = null;
            _inbox.Publish(sequence);
            published = true;
        }

        if (published) WakeIfIdle();
    }

    /// <summary>The saga step an answer is for (false, counted as dropped, when its send position no longer names one).</summary>
    private bool TryMatch(Outbound outbound, long firstPosition, in CreateResult answer, out ulong sagaId, out SagaStep step)
    {
        if (outbound.TryGetSent(firstPosition + answer.Index, out var stepId) && SagaCommands.TryParseStepId(stepId, out sagaId, out step)) return true;
        Interlocked.Increment(ref _droppedAnswers);
        sagaId = 0;
        step = 0;
        return false;
    }

    private void WakeIfIdle()
    {
        if (Volatile.Read(ref _idle) != 0) _wake.Set();
    }

    /// <summary>Stops the driver after its current round (open sagas stay open in the journal; a restart resumes them).</summary>
    public void Stop(TimeSpan timeout)
    {
        _stopping = true;
        _wake.Set();
        if (_thread.IsAlive && !_thread.Join(timeout)) throw new TimeoutException("saga coordinator did not stop");
    }

    public void Dispose()
    {
        if (_thread.IsAlive) Stop(TimeSpan.FromSeconds(10));
        _journal.Dispose();
        _wake.Dispose();
    }
}
