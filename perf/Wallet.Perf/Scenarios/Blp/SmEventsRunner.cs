using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Perf.Scenarios.Blp;

/// <summary>How the single-threaded blp phases handle events.</summary>
internal enum SmEventMode
{
    /// <summary>No events (NullLedgerEventSink): the state machine alone.</summary>
    Off,

    /// <summary>Events into the sink's own buffer, then appended (copied) to an event journal: the BLP before §2b.</summary>
    Copy,

    /// <summary>Events written straight into the event journal's reserved record (what the BLP does now).</summary>
    Direct,
}

/// <summary>
/// The BLP's work on one thread without the rings: execute a command and, per <see cref="SmEventMode"/>, write its
/// events to a memory-mapped event journal (fsync none) exactly as <c>LedgerStage</c> does. Used for same-process
/// A/B runs of the event path, where a thread's CPU time per transfer can be compared on a busy machine.
/// Old segments are deleted as it goes (a deleted file's dirty pages are dropped, not written back), so a long
/// run does not fill the disk.
/// </summary>
internal sealed class SmEventsRunner : IDisposable
{
    private const ushort EventRecordType = 1;
    private readonly LedgerStateMachine _ledger;
    private readonly SmEventMode _mode;
    private readonly Journal? _journal;
    private readonly string? _directory;
    private NullLedgerEventSink _null;
    private EventBatchSink _events;

    public SmEventsRunner(LedgerStateMachine ledger, SmEventMode mode, long prefaultAheadBytes)
    {
        _ledger = ledger;
        _mode = mode;
        _events = new EventBatchSink(ledger.Options);
        if (mode == SmEventMode.Off) return;
        _directory = Path.Combine(Path.GetTempPath(), "wallet-perf", "smev-" + Guid.NewGuid().ToString("N")[..8]);
        int maxRecord = EventBatchSink.MaxBytesFor(ledger.Options);
        _journal = Journal.Open(new JournalOptions
        {
            Directory = _directory,
            FilePrefix = PartitionEngine.EventJournalPrefix,
            Fsync = FsyncPolicy.None,
            MaxRecordBytes = maxRecord,
            SegmentSizeBytes = Math.Max(256L << 20, 4L * maxRecord),
            PrefaultAheadBytes = prefaultAheadBytes,
        });
    }

    public int Execute(in CommandStamp stamp, CommandKind kind, ReadOnlySpan<byte> payload, Span<CreateResult> results)
    {
        switch (_mode)
        {
            case SmEventMode.Off:
                return _ledger.Execute(stamp, kind, payload, results, ref _null);
            case SmEventMode.Copy:
            {
                _events.Reset();
                int n = _ledger.Execute(stamp, kind, payload, results, ref _events);
                _journal!.Append(EventRecordType, stamp.Index, stamp.Term, stamp.Timestamp, _events.Written);
                Housekeep(stamp.Index);
                return n;
            }
            default:
            {
                long bound = EventBatchSink.BoundBytesFor(LedgerStateMachine.ItemCountOf(kind, payload.Length), _ledger.PendingTransferCount);
                Span<byte> area = _journal!.BeginAppendUpTo(EventRecordType, stamp.Index, stamp.Term, stamp.Timestamp,
                    (int)Math.Min(bound, _journal.Options.MaxRecordBytes));
                _events.TargetDirect(area);
                int n = _ledger.Execute(stamp, kind, payload, results, ref _events);
                _journal.CommitAppend(_events.Length);
                _events.Reset();
                Housekeep(stamp.Index);
                return n;
            }
        }
    }

    private void Housekeep(long index)
    {
        if (index % 64 == 0) _journal!.DeleteSegmentsBefore(index);
    }

    public void Dispose()
    {
        _journal?.Dispose();
        if (_directory is null) return;
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}
