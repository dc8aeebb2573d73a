using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// The saga sequencer's deterministic state machine: (state, stamp, command) → (step requests, completions, state).
/// No clock, randomness or threads: time is the command stamp; the table is iterated only in saga-id order (a linked
/// list in Begin order) and dictionaries are only probed, never enumerated. Single-threaded by design.
/// See docs/SAGA.md for the flows.
/// </summary>
public sealed partial class SagaStateMachine
{
    private const TransferFlags TwoPhaseFlags = TransferFlags.Pending | TransferFlags.PostPendingTransfer | TransferFlags.VoidPendingTransfer;
    private const TransferFlags ClientTransferFlags = TransferFlags.Linked | TwoPhaseFlags;
    private const byte StepMask = 0x7E; // bits 1..6
    private const int InitialIndexEntries = 1 << 17; // grown by doubling (warm-up only) up to the table's capacity

    private readonly SagaOptions _options;
    private readonly ClearingAccounts _clearing;
    private readonly SagaRecord[] _rows;
    private readonly int[] _free;
    private int _freeCount;
    // Open-addressing indexes (one 32-byte bucket per key, one miss per probe, prefetchable): the tables outgrow the
    // caches, and two Dictionary misses per lookup were most of the coordinator's time (BENCHMARKS §26).
    private readonly IdIndex _bySaga;     // saga id (never 0) → row
    private readonly IdIndex _byTransfer; // transfer id (Begin refuses 0 and 2^128−1) → row
    private int _head = -1;
    private int _tail = -1;
    // Ended sagas, oldest first (ring of row positions).
    private readonly int[] _completed;
    private int _completedStart;
    private int _completedCount;

    public SagaStateMachine(SagaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _clearing = new ClearingAccounts(options.Map, options.Catalog);
        var capacity = options.MaxActiveSagas + options.RetainedCompletedSagas;
        _rows = new SagaRecord[capacity];
        _free = new int[capacity];
        for (var i = 0; i < capacity; i++) _free[i] = capacity - 1 - i;
        _freeCount = capacity;
        var initial = Math.Min(capacity, InitialIndexEntries);
        _bySaga = new IdIndex(capacity, initial);
        _byTransfer = new IdIndex(capacity, initial);
        _completed = new int[Math.Max(options.RetainedCompletedSagas, 1)];
    }

    public SagaOptions Options => _options;

    public ClearingAccounts Clearing => _clearing;

    public long LastIndex { get; private set; }

    public long LastTimestamp { get; private set; }

    public long CommandCount { get; private set; }

    /// <summary>The id the next accepted Begin gets (ids start at 1 and are never reused).</summary>
    public ulong NextSagaId { get; private set; } = 1;

    public int ActiveCount { get; private set; }

    public int CompletedCount => _completedCount;

    /// <summary>Answers no correct partition gives (e.g. a post of our own hold failing); each ended its saga. Should stay 0.</summary>
    public long Anomalies { get; private set; }

    public bool TryGetSaga(ulong sagaId, out SagaRecord saga)
    {
        if (sagaId != 0 && _bySaga.TryGet(sagaId, out var slot))
        {
            saga = _rows[slot];
            return true;
        }

        saga = default;
        return false;
    }

    public bool TryGetSagaByTransfer(UInt128 transferId, out SagaRecord saga)
    {
        if (transferId != UInt128.Zero && _byTransfer.TryGet(transferId, out var slot))
        {
            saga = _rows[slot];
            return true;
        }

        saga = default;
        return false;
    }

    /// <summary>Open sagas in saga-id order (a copy: for tools, tests and the simulator, not the hot path).</summary>
    public SagaRecord[] ActiveSagas()
    {
        var result = new SagaRecord[ActiveCount];
        var n = 0;
        for (var s = _head; s >= 0; s = _rows[s].Next) result[n++] = _rows[s];
        return result;
    }

    /// <summary>
    /// The highest client correlation id of any saga in the table (open or remembered; 0 when empty). A driver that
    /// restarts from a snapshot numbers new submissions above it, so no open saga's answer reaches a new waiter.
    /// </summary>
    public long MaxCorrelationId()
    {
        long max = 0;
        for (var s = _head; s >= 0; s = _rows[s].Next) max = Math.Max(max, _rows[s].CorrelationId);
        for (var i = 0; i < _completedCount; i++) max = Math.Max(max, _rows[_completed[(_completedStart + i) % _completed.Length]].CorrelationId);
        return max;
    }

    /// <summary>
    /// Executes one journaled command. Time must not go back and indexes must increase (a driver bug otherwise).
    /// Begin and StepOutcome carry batches; each item's consequences reach <paramref name="sink"/> in item order.
    /// </summary>
    public SagaCommandResult Execute<TSink>(in CommandStamp stamp, SagaCommandKind kind, ReadOnlySpan<byte> payload, ref TSink sink)
        where TSink : struct, ISagaSink
    {
        if (stamp.Index <= LastIndex) throw new InvalidOperationException($"Stamp index {stamp.Index} not after {LastIndex}.");
        if (stamp.Timestamp < LastTimestamp) throw new InvalidOperationException($"Stamp timestamp {stamp.Timestamp} before {LastTimestamp}.");
        LastIndex = stamp.Index;
        LastTimestamp = stamp.Timestamp;
        CommandCount++;
        var now = stamp.Timestamp;
        var size = SagaCommands.ItemSizeOf(kind);
        if (size < 0) return SagaCommandResult.UnknownCommand;
        if (size == 0)
        {
            if (!payload.IsEmpty) return SagaCommandResult.MalformedPayload;
            ExpireDeadlines(now, ref sink);
            return SagaCommandResult.Ok;
        }

        if (payload.Length % size != 0) return SagaCommandResult.MalformedPayload;
        var count = payload.Length / size;
        if (count > _options.MaxBatchSize) return SagaCommandResult.BatchTooLarge;
        for (var i = 0; i < count; i++)
        {
            // The tables are larger than the caches: start the index buckets of the item PrefetchAhead on, and (for
            // answers) the row of the one RowAhead on, whose bucket is in flight by now. Hints only: no state changes.
            if (i + PrefetchAhead < count)
            {
                PrefetchIndex(kind, payload.Slice((i + PrefetchAhead) * size, size));
                // Saga ids are handed out in Begin order: the item PrefetchAhead on gets about this one (fewer if some are
                // refused), so its saga-index bucket can be in flight before Begin adds it.
                if (kind == SagaCommandKind.Begin) _bySaga.Prefetch(NextSagaId + PrefetchAhead);
            }
            if (kind == SagaCommandKind.StepOutcome && i + RowAhead < count) PrefetchOutcomeRow(payload.Slice((i + RowAhead) * size, size));
            // A Begin writes the row it pops off the free stack: the one RowAhead items on is about this deep in it.
            else if (kind == SagaCommandKind.Begin && i + RowAhead < count && _freeCount > RowAhead) PrefetchRow(_free[_freeCount - 1 - RowAhead]);
            var item = payload.Slice(i * size, size);
            if (kind == SagaCommandKind.Begin) Begin(item, now, ref sink);
            else Outcome(item, now, ref sink);
        }

        return SagaCommandResult.Ok;
    }

    /// <summary>
    /// Re-emits the requests of every open saga whose current phase started before <paramref name="phaseStartedBefore"/>
    /// (retries, and everything after a restart with <see cref="long.MaxValue"/>), oldest first. Reads state only.
    /// </summary>
    public int EmitOutstanding<TSink>(long phaseStartedBefore, ref TSink sink) where TSink : struct, ISagaSink
    {
        ulong cursor = 0;
        return EmitOutstanding(phaseStartedBefore, ref sink, int.MaxValue, ref cursor);
    }

    /// <summary>
    /// As <see cref="EmitOutstanding{TSink}(long, ref TSink)"/>, for at most <paramref name="maxSagas"/> due sagas (a bound
    /// on retry load), resuming after saga <paramref name="resumeAfterSagaId"/> and wrapping around, so that sagas waiting
    /// on a healthy partition are not starved behind many waiting on a dead one. On return the cursor names the last saga
    /// emitted when the bound was hit, else 0 (next round starts at the oldest). Reads state only.
    /// </summary>
    public int EmitOutstanding<TSink>(long phaseStartedBefore, ref TSink sink, int maxSagas, ref ulong resumeAfterSagaId) where TSink : struct, ISagaSink
    {
        var start = _head;
        if (resumeAfterSagaId != 0 && _bySaga.TryGet(resumeAfterSagaId, out var from) && !_rows[from].IsTerminal && _rows[from].Next >= 0)
            start = _rows[from].Next;
        resumeAfterSagaId = 0;
        var emitted = 0;
        var sagas = 0;
        var s = start;
        while (s >= 0)
        {
            ref readonly var r = ref _rows[s];
            if (r.PhaseStartedAt < phaseStartedBefore)
            {
                if (sagas == maxSagas)
                {
                    break;
                }

                sagas++;
                resumeAfterSagaId = r.SagaId;
                for (var step = SagaStep.SourceHold; step <= SagaStep.DestCancel; step++)
                {
                    if (!r.IsOutstanding(step)) continue;
                    var t = BuildStep(in r, step);
                    sink.OnStepRequest(PartitionOf(in r, step), in t);
                    emitted++;
                }
            }

            s = r.Next;
            if (s < 0 && start != _head) s = _head; // wrap once
            if (s == start) break;
        }

        if (sagas < maxSagas) resumeAfterSagaId = 0;
        return emitted;
    }

    // ---- Begin ---------------------------------------------------------------------------------------------

    private void Begin<TSink>(ReadOnlySpan<byte> item, long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        var transfer = MemoryMarshal.Read<Transfer>(item);
        var correlationId = BinaryPrimitives.ReadInt64LittleEndian(item[128..]);
        var mode = (SagaMode)item[136];
        var code = Validate(in transfer, mode, item[137..], out var source, out var dest);
        if (code != ResultCode.Ok)
        {
            sink.OnCompleted(correlationId, 0, code, now);
            return;
        }

        if (_byTransfer.TryGet(transfer.Id, out var existing))
        {
            ref readonly var e = ref _rows[existing];
            // Still open and not yet decided: no outcome to give. Decided (answered at the commit point) or ended: the original one.
            var repeat = !e.IsTerminal && !e.Answered ? ResultCode.SagaInProgress : CompareRepeat(in transfer, in e);
            sink.OnCompleted(correlationId, e.SagaId, repeat, now);
            return;
        }

        if (ActiveCount >= _options.MaxActiveSagas)
        {
            sink.OnCompleted(correlationId, 0, ResultCode.SagaTableFull, now);
            return;
        }

        var slot = _free[--_freeCount];
        ref var r = ref _rows[slot];
        r = default;
        r.Transfer = transfer;
        r.SagaId = NextSagaId++;
        r.CorrelationId = correlationId;
        r.BeganAt = now;
        r.DeadlineAt = now > long.MaxValue - _options.StepDeadlineNs ? long.MaxValue : now + _options.StepDeadlineNs;
        r.SourcePartition = (ushort)source;
        r.DestPartition = (ushort)dest;
        r.Mode = mode;
        r.Outcome = ResultCode.Ok;
        _bySaga.Add(r.SagaId, slot);
        _byTransfer.Add(transfer.Id, slot);
        LinkActive(slot);
        ActiveCount++;
        if (mode == SagaMode.Saga)
        {
            Advance(ref r, SagaStatus.SourceHolding, SagaStep.SourceHold, now, ref sink);
        }
        else
        {
            Advance(ref r, SagaStatus.Trying, SagaStep.SourceHold, now, ref sink);
            Send(ref r, SagaStep.DestCredit, ref sink);
        }
    }

    private ResultCode Validate(in Transfer t, SagaMode mode, ReadOnlySpan<byte> reserved, out int source, out int dest)
    {
        source = dest = -1;
        if (reserved.ContainsAnyExcept((byte)0)) return ResultCode.ReservedField;
        if (mode is < SagaMode.Saga or > SagaMode.TwoPhaseCommit) return ResultCode.SagaModeUnknown;
        if (t.Timestamp != 0) return ResultCode.TimestampMustBeZero;
        if (t.Reserved != 0) return ResultCode.ReservedField;
        if ((t.Flags & ~ClientTransferFlags) != 0) return ResultCode.ReservedFlag;
        if ((t.Flags & TransferFlags.Linked) != 0) return ResultCode.LinkedChainSpansPartitions;
        if ((t.Flags & TwoPhaseFlags) != 0) return ResultCode.CrossPartitionTwoPhaseNotSupported;
        if (t.Id == UInt128.Zero) return ResultCode.IdMustNotBeZero;
        if (t.Id == UInt128.MaxValue) return ResultCode.IdMustNotBeIntMax;
        if (t.DebitAccountId == UInt128.Zero) return ResultCode.DebitAccountIdMustNotBeZero;
        if (t.DebitAccountId == UInt128.MaxValue) return ResultCode.DebitAccountIdMustNotBeIntMax;
        if (t.CreditAccountId == UInt128.Zero) return ResultCode.CreditAccountIdMustNotBeZero;
        if (t.CreditAccountId == UInt128.MaxValue) return ResultCode.CreditAccountIdMustNotBeIntMax;
        if (SystemIds.IsSystem(t.Id) || SystemIds.IsSystem(t.DebitAccountId) || SystemIds.IsSystem(t.CreditAccountId)) return ResultCode.IdReservedForSystem;
        if (t.DebitAccountId == t.CreditAccountId) return ResultCode.AccountsMustBeDifferent;
        if (t.PendingId != UInt128.Zero) return ResultCode.PendingIdMustBeZero;
        if (t.TimeoutSeconds != 0) return ResultCode.TimeoutReservedForPendingTransfer;
        if (t.Amount == 0) return ResultCode.AmountMustNotBeZero;
        if (t.Amount < 0) return ResultCode.AmountMustNotBeNegative;
        if (t.Ledger == 0) return ResultCode.LedgerMustNotBeZero;
        if (!_options.Catalog.Contains(t.Ledger)) return ResultCode.LedgerNotConfigured;
        if (t.Code == 0) return ResultCode.CodeMustNotBeZero;
        source = _options.Map.PartitionOf(t.DebitAccountId);
        dest = _options.Map.PartitionOf(t.CreditAccountId);
        return source == dest ? ResultCode.SamePartition : ResultCode.Ok;
    }

    /// <summary>
    /// A Begin for a transfer id the table knows. The mode is the operator's choice, not part of the client's transfer:
    /// a client retrying after the node was restarted in another mode gets the original outcome, not a conflict.
    /// </summary>
    private static ResultCode CompareRepeat(in Transfer t, in SagaRecord e)
    {
        ref readonly var o = ref e.Transfer;
        if (t.Flags != o.Flags) return ResultCode.ExistsWithDifferentFlags;
        if (t.DebitAccountId != o.DebitAccountId) return ResultCode.ExistsWithDifferentDebitAccountId;
        if (t.CreditAccountId != o.CreditAccountId) return ResultCode.ExistsWithDifferentCreditAccountId;
        if (t.Amount != o.Amount) return ResultCode.ExistsWithDifferentAmount;
        if (t.UserData128 != o.UserData128) return ResultCode.ExistsWithDifferentUserData128;
        if (t.UserData64 != o.UserData64) return ResultCode.ExistsWithDifferentUserData64;
        if (t.UserData32 != o.UserData32) return ResultCode.ExistsWithDifferentUserData32;
        if (t.Ledger != o.Ledger) return ResultCode.ExistsWithDifferentLedger;
        if (t.Code != o.Code) return ResultCode.ExistsWithDifferentCode;
        // Identical repeat: the original outcome stands.
        return e.Outcome;
    }

    // ---- table ---------------------------------------------------------------------------------------------

    private void LinkActive(int slot)
    {
        ref var r = ref _rows[slot];
        r.Prev = _tail;
        r.Next = -1;
        if (_tail >= 0) _rows[_tail].Next = slot;
        else _head = slot;
        _tail = slot;
    }

    private void UnlinkActive(int slot)
    {
        ref var r = ref _rows[slot];
        if (r.Prev >= 0) _rows[r.Prev].Next = r.Next;
        else _head = r.Next;
        if (r.Next >= 0) _rows[r.Next].Prev = r.Prev;
        else _tail = r.Prev;
        r.Prev = r.Next = -1;
    }

    private void Complete<TSink>(int slot, SagaStatus status, ResultCode outcome, long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        ref var r = ref _rows[slot];
        r.Status = status;
        r.Outcome = outcome;
        r.Outstanding = 0;
        r.CompletedAt = now;
        UnlinkActive(slot);
        ActiveCount--;
        if (!r.Answered) sink.OnCompleted(r.CorrelationId, r.SagaId, outcome, now);
        if (_options.RetainedCompletedSagas == 0)
        {
            Forget(slot);
            return;
        }

        if (_completedCount == _options.RetainedCompletedSagas)
        {
            if (_completedCount > ForgetAhead) PrefetchForget();
            Forget(_completed[_completedStart]);
            _completedStart = (_completedStart + 1) % _completed.Length;
            _completedCount--;
        }

        _completed[(_completedStart + _completedCount) % _completed.Length] = slot;
        _completedCount++;
    }

    private void Forget(int slot)
    {
        ref var r = ref _rows[slot];
        _bySaga.Remove(r.SagaId);
        _byTransfer.Remove(r.Transfer.Id);
        // Not zeroed: nothing reads a free row (the active list and the completed ring name every row in use), and
        // Begin resets the whole row before it uses it again.
        _free[_freeCount++] = slot;
    }

    // ---- prefetch (hints: no state changes, any value is safe) ------------------------------------------------

    private const int PrefetchAhead = 8;
    private const int RowAhead = 4;
    private const int ForgetAhead = 8;

    private void PrefetchIndex(SagaCommandKind kind, ReadOnlySpan<byte> item)
    {
        if (kind == SagaCommandKind.Begin) _byTransfer.Prefetch(MemoryMarshal.Read<UInt128>(item)); // Transfer.Id at 0
        else _bySaga.Prefetch(BinaryPrimitives.ReadUInt64LittleEndian(item));
    }

    private void PrefetchOutcomeRow(ReadOnlySpan<byte> item)
    {
        var sagaId = BinaryPrimitives.ReadUInt64LittleEndian(item);
        if (sagaId != 0 && _bySaga.TryGet(sagaId, out var slot)) PrefetchRow(slot);
    }

    /// <summary>
    /// Ahead of forgetting the oldest ended saga: the row ForgetAhead places on (its ids), and the index buckets of the
    /// one ForgetAhead/2 on, whose ids were prefetched then.
    /// </summary>
    private void PrefetchForget()
    {
        var n = _completed.Length;
        PrefetchRow(_completed[(_completedStart + ForgetAhead) % n]);
        ref readonly var soon = ref _rows[_completed[(_completedStart + ForgetAhead / 2) % n]];
        _bySaga.Prefetch(soon.SagaId);
        _byTransfer.Prefetch(soon.Transfer.Id);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchRow(int slot)
    {
        if (!Sse.IsSupported) return;
        var p = (byte*)Unsafe.AsPointer(ref _rows[slot]);
        // 208 bytes span four or five lines depending on where the row starts.
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + 64);
        Sse.Prefetch0(p + 128);
        Sse.Prefetch0(p + 192);
        Sse.Prefetch0(p + SagaRecord.SizeBytes - 1);
    }
}
