using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Ring;
using Wallet.Engine.Snapshots;

namespace Wallet.Engine.Partition;

/// <summary>
/// The business-logic processor (BLP): the second consumer of the ingress ring, gated on the commit position.
/// For each committed command it runs the deterministic ledger state machine, writes the derived events to the
/// event journal (one record per command, same index) and pushes the results to the egress ring. Reads
/// (<see cref="QueryKind"/>) are answered from the same thread, so they observe every command before them.
/// Single-threaded by construction: nothing here takes a lock or reads a clock.
/// </summary>
internal sealed class LedgerStage : IEventHandler<CommandSlot>
{
    private LedgerStateMachine _ledger;
    private readonly SnapshotStore? _snapshotStore;
    private readonly RingBuffer<ResultSlot> _egress;
    private readonly Journal.Journal? _events;
    private readonly SnapshotScheduler _snapshots;
    private readonly int _maxResults;
    private EventBatchSink _sink;
    private long _appliedIndex;
    private long _eventsPrunedBelowIndex;

    /// <summary>Set when journal retention is on; the event journal is pruned at batch ends on this thread.</summary>
    public RetentionSignal? Retention { get; init; }

    /// <summary>Where a slot's borrowed payload goes back once applied (this stage is every slot's last reader).</summary>
    public PayloadPool? Payloads { get; init; }

    /// <summary>Results arrays for commands larger than an egress slot's own array (returned by the egress stage).</summary>
    public BufferPool<CreateResult>? Results { get; init; }

    public LedgerStage(LedgerStateMachine ledger, RingBuffer<ResultSlot> egress, Journal.Journal? events, SnapshotScheduler snapshots,
        SnapshotStore? snapshotStore = null)
    {
        _snapshotStore = snapshotStore;
        _ledger = ledger;
        _egress = egress;
        _events = events;
        _snapshots = snapshots;
        // One result per item, or one for a malformed command.
        _maxResults = ledger.Options.MaxBatchSize + 1;
        _sink = new EventBatchSink(ledger.Options);
        _appliedIndex = ledger.LastIndex;
    }

    /// <summary>Index of the last command applied (read from other threads for monitoring only).</summary>
    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    public LedgerStateMachine Ledger => _ledger;

    public void OnEvent(ref CommandSlot slot, long sequence, bool endOfBatch)
    {
        Process(ref slot, endOfBatch);
        if (Payloads is { } pool) slot.Release(pool);
    }

    private void Process(ref CommandSlot slot, bool endOfBatch)
    {
        long egressSequence = ClaimEgress();
        ref ResultSlot result = ref _egress[egressSequence];
        result.Kind = slot.Kind;
        result.CorrelationId = slot.CorrelationId;
        result.SessionId = slot.SessionId;
        result.Index = slot.Index;
        result.Timestamp = slot.Timestamp;
        result.ResultCount = 0;
        result.PayloadLength = 0;

        if (slot.Kind == QueryKind.InstallSnapshot)
        {
            InstallSnapshot(ref slot);
        }
        else if (QueryKind.IsQuery(slot.Kind))
        {
            Answer(ref slot, ref result);
        }
        else
        {
            if (slot.Index <= _appliedIndex)
            {
                // Already applied (state came from a snapshot past this index): never apply twice.
                _egress.Publish(egressSequence);
                return;
            }
            // Sized by this command's items (at most one result each; 64 at least), not by the largest batch allowed:
            // a ring of single-transfer commands must not hold a 64 KiB results array per slot.
            int needed = Math.Clamp(LedgerStateMachine.ItemCountOf((CommandKind)slot.Kind, slot.PayloadLength), 1, _maxResults);
            if (Results is { } results && needed > result.Results.Length)
            {
                // A large command borrows (the egress stage gives it back): slots never grow to the largest batch.
                result.OwnResults = result.Results;
                result.Results = results.Rent(needed);
            }
            else
            {
                EnsureCapacity(ref result.Results, needed);
            }
            var stamp = new CommandStamp(slot.Index, slot.Term, slot.Timestamp);
            if (_events is null)
            {
                _sink.Reset();
                result.ResultCount = _ledger.Execute(stamp, (CommandKind)slot.Kind, slot.PayloadSpan, result.Results, ref _sink);
            }
            else
            {
                result.ResultCount = ExecuteIntoEventJournal(_events, ref slot, stamp, result.Results);
            }
            Volatile.Write(ref _appliedIndex, slot.Index);
        }

        _egress.Publish(egressSequence);

        if (endOfBatch)
        {
            _events?.Flush();
            if (_events is not null && Retention is not null && Retention.PruneBelowIndex > _eventsPrunedBelowIndex)
            {
                _eventsPrunedBelowIndex = Retention.PruneBelowIndex;
                _events.DeleteSegmentsBefore(_eventsPrunedBelowIndex);
            }
            _snapshots.OnBatchApplied(_ledger);
        }
    }

    /// <summary>
    /// Runs the command with its events written straight into the event journal: the record is reserved for the most
    /// events the command can produce (<see cref="EventBatchSink.BoundBytesFor"/>), filled by the state machine in
    /// place, and committed at its real length. Same bytes as appending a buffered copy, one 1.8 MB copy fewer per
    /// full command. A state-machine exception discards the reservation (the partition then fails as before).
    /// </summary>
    private int ExecuteIntoEventJournal(Journal.Journal events, ref CommandSlot slot, in CommandStamp stamp, CreateResult[] results)
    {
        var kind = (CommandKind)slot.Kind;
        ReadOnlySpan<byte> payload = slot.PayloadSpan;
        long bound = EventBatchSink.BoundBytesFor(LedgerStateMachine.ItemCountOf(kind, payload.Length), _ledger.PendingTransferCount);
        int reserve = (int)Math.Min(bound, events.Options.MaxRecordBytes);
        Span<byte> area = events.BeginAppendUpTo(slot.Kind, slot.Index, slot.Term, slot.Timestamp, reserve);
        _sink.TargetDirect(area);
        int count;
        try
        {
            count = _ledger.Execute(stamp, kind, payload, results, ref _sink);
        }
        catch
        {
            events.AbortAppend();
            _sink.Reset();
            throw;
        }
        events.CommitAppend(_sink.Length);
        _sink.Reset(); // never keep a pointer into the mapping past the command (segments roll and get deleted)
        return count;
    }

    /// <summary>
    /// Consensus catch-up: the consensus module installed a snapshot from the leader at the slot's index (its log now
    /// continues after it). Swapped here, on the BLP thread, between two commands: nothing else reads the ledger, so no
    /// one ever sees a half-replaced state. The snapshot is loaded with the same checks as recovery (header, payload
    /// checksum, restored digest); the event journal restarts after it (the events before it are the leader's history,
    /// not derivable here). A snapshot that does not load is a disk fault: the partition fails rather than diverge.
    /// </summary>
    private void InstallSnapshot(ref CommandSlot slot)
    {
        if (_snapshotStore is null) throw new InvalidOperationException("snapshot install without a snapshot store");
        if (slot.Index <= _appliedIndex) return; // already past it (cannot happen: the port publishes only forward)
        LedgerOptions options = _ledger.Options;
        SnapshotLoadResult<LedgerStateMachine> loaded = _snapshotStore.LoadNewestValid(
            (stream, _) => LedgerStateMachine.Restore(options, stream),
            static (ledger, header) => ledger.LastIndex == header.Index && ledger.ComputeDigest() == header.Digest ? null : "restored state does not match its header",
            maxIndex: slot.Index);
        if (loaded.State is null || loaded.Snapshot is null || loaded.Snapshot.Header.Index != slot.Index || loaded.Snapshot.Header.Term != slot.Term)
            throw new InvalidOperationException($"installed snapshot at index {slot.Index} term {slot.Term} is not loadable from {_snapshotStore.Directory}");
        _ledger = loaded.State;
        _events?.ResetAfter(slot.Index, slot.Term, slot.Timestamp);
        Volatile.Write(ref _appliedIndex, slot.Index);
        _snapshots.OnInstalled(slot.Index);
    }

    /// <summary>Set by the engine when another stage failed: a BLP waiting for egress space must not wait forever.</summary>
    public volatile bool Abort;

    private long ClaimEgress()
    {
        if (_egress.TryNext(out long sequence)) return sequence;
        // Egress full: the result consumer is behind. Wait (spin, then yield; never a hot spin) unless the partition is
        // failing. No Sleep(1): the egress consumer never blocks on sockets, so the stall is brief, and a 1 ms sleep
        // here would add a millisecond to every result queued behind it.
        var wait = new SpinWait();
        while (!_egress.TryNext(out sequence))
        {
            if (Abort) throw new OperationCanceledException("partition failing: the egress consumer stopped");
            wait.SpinOnce(sleep1Threshold: -1);
        }
        return sequence;
    }

    private void Answer(ref CommandSlot slot, ref ResultSlot result)
    {
        if (slot.Kind == QueryKind.StateDigest)
        {
            // O(state): an audit/operations read, not a hot-path one.
            EnsureCapacity(ref result.Payload, 16);
            UInt128 digest = _ledger.ComputeDigest();
            MemoryMarshal.Write(result.Payload.AsSpan(0, 16), in digest);
            result.PayloadLength = 16;
            return;
        }
        ReadOnlySpan<byte> ids = slot.PayloadSpan;
        int count = ids.Length / 16;
        EnsureCapacity(ref result.Payload, count * 128);
        Span<byte> output = result.Payload;
        int written = 0;
        for (int i = 0; i < count; i++)
        {
            UInt128 id = MemoryMarshal.Read<UInt128>(ids.Slice(i * 16, 16));
            if (slot.Kind == QueryKind.LookupAccounts)
            {
                if (_ledger.TryGetAccount(id, out Account account))
                {
                    MemoryMarshal.Write(output.Slice(written, 128), in account);
                    written += 128;
                }
            }
            else if (slot.Kind == QueryKind.LookupTransfers)
            {
                if (_ledger.TryGetTransfer(id, out Transfer transfer))
                {
                    MemoryMarshal.Write(output.Slice(written, 128), in transfer);
                    written += 128;
                }
            }
        }
        result.PayloadLength = written;
    }

    private static void EnsureCapacity<T>(ref T[] buffer, int length)
    {
        // Grows once per slot to the largest answer seen; steady state allocates nothing.
        if (buffer is null || buffer.Length < length) buffer = new T[Math.Max(length, 64)];
    }

    public void OnBatchStart(long batchSize) { }
    public void OnStart() { }
    public void OnShutdown() { }
    public void OnTimeout(long sequence) { }
}
