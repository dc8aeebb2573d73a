using Wallet.Engine.Ledger;
using Wallet.Engine.Ring;

namespace Wallet.Engine.Partition;

/// <summary>
/// First consumer of the ingress ring: stamps each command (log index, term, timestamp), appends it to the
/// command journal and, at the end of every natural batch, flushes the journal per the fsync policy and
/// advances the commit position the BLP waits on (group commit: one flush per batch, never a timer).
/// In single-node mode "committed" means "journaled and synced per policy"; under consensus the commit
/// position is advanced by the replication module instead (<see cref="AdvancesCommit"/> = false) and this
/// stage only publishes <see cref="JournaledSequence"/>.
/// </summary>
internal sealed class SequencerStage : IEventHandler<CommandSlot>
{
    private readonly Journal.Journal _journal;
    private readonly IClock _clock;
    private readonly long _term;
    private readonly Sequence _commit;
    private readonly IWaitStrategy _commitWait;
    private long _lastIndex;
    private long _lastTimestampNs;
    private long _prunedBelowIndex;

    public SequencerStage(Journal.Journal journal, IClock clock, long term, Sequence commit, IWaitStrategy commitWait, bool advancesCommit)
    {
        _journal = journal;
        _clock = clock;
        _term = term;
        _commit = commit;
        _commitWait = commitWait;
        AdvancesCommit = advancesCommit;
        _lastIndex = journal.LastIndex;
        _lastTimestampNs = journal.LastTimestamp;
    }

    public bool AdvancesCommit { get; }

    /// <summary>Set when journal retention is on; acted on at batch ends, on this (the journal's writer) thread.</summary>
    public RetentionSignal? Retention { get; init; }

    /// <summary>Ring sequence of the last command written to the journal (and flushed at its batch end).</summary>
    public Sequence JournaledSequence { get; } = new();

    public long LastIndex => Volatile.Read(ref _lastIndex);

    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        if (QueryKind.IsQuery(slot.Kind))
        {
            // A read observes everything sequenced before it; it is never journaled.
            slot.Index = _lastIndex;
            slot.Timestamp = _lastTimestampNs;
        }
        else
        {
            if (!slot.Prestamped)
            {
                slot.Index = _lastIndex + 1;
                slot.Term = _term;
                // Strictly increasing, even if the wall clock steps back: the log's time never goes backwards.
                // Each item of a batch owns one nanosecond below the stamp (the ledger's timestamp rule), so the
                // stamp must clear the previous one by the item count.
                long floor = _lastTimestampNs + LedgerStateMachine.ItemCountOf((CommandKind)slot.Kind, slot.PayloadLength) + 1;
                long now = _clock.UtcNowNs();
                slot.Timestamp = now >= floor ? now : floor;
            }
            if (slot.Index != _lastIndex + 1) throw new InvalidOperationException($"log index {slot.Index} does not follow {_lastIndex}");
            _journal.Append(slot.Kind, slot.Index, slot.Term, slot.Timestamp, slot.PayloadSpan);
            _lastIndex = slot.Index;
            _lastTimestampNs = slot.Timestamp;
        }

        if (endOfBatch)
        {
            _journal.Flush();
            if (Retention is not null && Retention.PruneBelowIndex > _prunedBelowIndex)
            {
                _prunedBelowIndex = Retention.PruneBelowIndex;
                _journal.DeleteSegmentsBefore(_prunedBelowIndex);
            }
            JournaledSequence.SetValue(sequence);
            if (AdvancesCommit)
            {
                _commit.SetValue(sequence);
                _commitWait.SignalAllWhenBlocking();
            }
        }
    }

    public void OnBatchStart(long batchSize) { }
    public void OnStart() { }
    public void OnShutdown() { }
    public void OnTimeout(long sequence) { }
}
