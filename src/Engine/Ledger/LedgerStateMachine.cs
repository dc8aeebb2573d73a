using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Wallet.Engine.Ledger;

/// <summary>
/// The deterministic ledger core of a partition's business-logic processor:
/// (state, stamp, kind, payload) → (results, events, new state). Same inputs ⇒ same outputs, always:
/// no clock, randomness, environment or hash-order dependence; time comes only from <see cref="CommandStamp"/>.
/// <para>
/// Not thread-safe by design: exactly one thread (the BLP, or replay) may call it. Reads
/// (<see cref="TryGetAccount"/> etc.) must happen on that thread too, between commands.
/// </para>
/// <para>
/// Storage: accounts in an array in creation order (+ an id index); transfers in a slab (+ an id index,
/// a FIFO idempotency window and a (deadline, id) expiry heap). Everything is preallocated or grows by
/// doubling up to the configured limits, so steady state allocates nothing.
/// </para>
/// </summary>
public sealed partial class LedgerStateMachine
{
    /// <summary>Nanoseconds per second, for pending timeouts.</summary>
    private const long NanosecondsPerSecond = 1_000_000_000L;

    private readonly LedgerOptions _options;
    private readonly LedgerCatalog _catalog;

    private Account[] _accounts;
    private int _accountCount;
    private readonly IdIndex _accountIndex;

    private StoredTransfer[] _slots;
    private int _slotHighWater;
    private int[] _freeSlots;
    private int _freeSlotCount;
    private readonly IdIndex _transferIndex;
    private readonly SlotRing _window;
    private readonly PendingExpiryQueue _expiry = new();
    private int _pendingCount;

    // Evicted pending transfers resolved during the current command; freed when the command ends so that
    // chain rollback never has to resurrect a freed slot.
    private int[] _deferredFree;
    private int _deferredFreeCount;

    private bool _inChain;
    // True while a system command (saga sequencer) executes: system ids and system flags are allowed.
    private bool _systemCommand;
    private UndoEntry[] _undo;
    private int _undoCount;
    private BufferedEvent[] _events;
    private int _eventCount;
    private readonly int[] _accountsAhead = new int[(AheadMask + 1) * AheadStride];

    static LedgerStateMachine()
    {
        // The wire layout is a contract: fail loudly at startup if a field edit ever changes a size.
        if (Unsafe.SizeOf<Account>() != Account.SizeBytes || Unsafe.SizeOf<Transfer>() != Transfer.SizeBytes
            || Unsafe.SizeOf<StoredTransfer>() != StoredTransfer.SizeBytes || Unsafe.SizeOf<CreateResult>() != 8)
        {
            throw new InvalidOperationException("Ledger wire struct size changed.");
        }
    }

    public LedgerStateMachine(LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Wire structs are little-endian.");
        _options = options;
        _catalog = options.Catalog;
        var warmAccounts = Math.Min(options.MaxAccounts, 1024);
        _accounts = new Account[warmAccounts];
        _accountIndex = new IdIndex(options.MaxAccounts, warmAccounts);
        var slotCapacity = options.TransferSlotCapacity;
        var warmSlots = Math.Min(slotCapacity, 1024);
        _slots = new StoredTransfer[warmSlots];
        _freeSlots = new int[warmSlots];
        _transferIndex = new IdIndex(slotCapacity, warmSlots);
        _window = new SlotRing(options.TransferRetentionCount + options.MaxBatchSize);
        _expiry.EnsureSlotCapacity(warmSlots);
        _deferredFree = new int[Math.Min(options.MaxBatchSize, 256)];
        _undo = new UndoEntry[64];
        _events = new BufferedEvent[16];
    }

    public LedgerOptions Options => _options;

    /// <summary>Log index of the last executed command (0 before any).</summary>
    public long LastIndex { get; private set; }

    public long LastTerm { get; private set; }

    /// <summary>stamp.Timestamp of the last executed command (ns since the Unix epoch).</summary>
    public long LastTimestamp { get; private set; }

    /// <summary>Commands executed (including malformed ones, which still advance time).</summary>
    public long CommandCount { get; private set; }

    /// <summary>
    /// The highest saga id among the step transfers (and step fences) this machine has forgotten (0 = none yet). A
    /// step of a saga at or below it that is not stored may have applied and been forgotten, so it is refused with
    /// <see cref="ResultCode.StepOutcomeForgotten"/> rather than applied again. Part of the state (snapshot, digest).
    /// </summary>
    public ulong ForgottenSagaHighWater { get; private set; }

    public int AccountCount => _accountCount;

    /// <summary>Transfers currently recognised for idempotency (window + evicted-but-pending).</summary>
    public int StoredTransferCount => _transferIndex.Count;

    /// <summary>Stored-transfer slots allocated now (grows by doubling up to the configured limit, or reserved at once).</summary>
    internal int TransferSlabCapacity => _slots.Length;

    public int PendingTransferCount => _pendingCount;

    /// <summary>Accounts in creation order. Valid until the next <see cref="Execute{TSink}"/>.</summary>
    public ReadOnlySpan<Account> Accounts => _accounts.AsSpan(0, _accountCount);

    internal ReadOnlySpan<StoredTransfer> Slots => _slots.AsSpan(0, _slotHighWater);

    /// <summary>Payload item size of <paramref name="kind"/> in bytes; 0 for <see cref="CommandKind.Tick"/>, -1 if unknown.</summary>
    public static int ItemSizeOf(CommandKind kind) => kind switch
    {
        CommandKind.CreateAccounts => Account.SizeBytes,
        CommandKind.CreateTransfers => Transfer.SizeBytes,
        CommandKind.CloseAccounts => 16,
        CommandKind.Tick => 0,
        CommandKind.SystemCreateAccounts => Account.SizeBytes,
        CommandKind.SystemTransfers => Transfer.SizeBytes,
        _ => -1,
    };

    /// <summary>
    /// Items a command carries, for the timestamp rule: payloadLength / itemSize (0 for Tick or unknown).
    /// The sequencer must give each command stamp.Timestamp &gt; LastTimestamp + ItemCountOf(kind, length).
    /// </summary>
    public static int ItemCountOf(CommandKind kind, int payloadLength)
    {
        var size = ItemSizeOf(kind);
        return size > 0 ? payloadLength / size : 0;
    }

    public bool TryGetAccount(UInt128 id, out Account account)
    {
        if (id != UInt128.Zero && _accountIndex.TryGet(id, out var i))
        {
            account = _accounts[i];
            return true;
        }

        account = default;
        return false;
    }

    /// <summary>Transfers are found while inside the idempotency window or still pending.</summary>
    public bool TryGetTransfer(UInt128 id, out Transfer transfer) => TryGetTransfer(id, out transfer, out _);

    public bool TryGetTransfer(UInt128 id, out Transfer transfer, out TransferState state)
    {
        if (id != UInt128.Zero && _transferIndex.TryGet(id, out var slot))
        {
            transfer = _slots[slot].Transfer;
            state = _slots[slot].State;
            return true;
        }

        transfer = default;
        state = 0;
        return false;
    }

    /// <summary>
    /// Executes one journaled command. Writes one <see cref="CreateResult"/> per item (in item order) and
    /// returns the item count; a malformed command (bad length, too many items, unknown kind) is answered
    /// by exactly one result at Index 0 and applies nothing (time still advances and due holds expire).
    /// Item i of n gets Timestamp = stamp.Timestamp − n + i + 1; due pending transfers expire first, at
    /// instant stamp.Timestamp − n.
    /// </summary>
    /// <exception cref="InvalidOperationException">Non-increasing stamp index or timestamp (a sequencer bug).</exception>
    /// <exception cref="ArgumentException"><paramref name="results"/> too short (a caller bug).</exception>
    public int Execute<TSink>(in CommandStamp stamp, CommandKind kind, ReadOnlySpan<byte> payload, Span<CreateResult> results, ref TSink sink)
        where TSink : struct, ILedgerEventSink
    {
        var itemSize = ItemSizeOf(kind);
        var itemCount = ItemCountOf(kind, payload.Length);
        var malformed = itemSize < 0
            ? ResultCode.UnknownCommand
            : itemSize == 0
                ? (payload.IsEmpty ? ResultCode.Ok : ResultCode.MalformedPayload)
                : payload.Length % itemSize != 0
                    ? ResultCode.MalformedPayload
                    : itemCount > _options.MaxBatchSize ? ResultCode.BatchTooLarge : ResultCode.Ok;
        var resultsNeeded = malformed != ResultCode.Ok ? 1 : itemCount;
        if (results.Length < resultsNeeded) throw new ArgumentException($"results holds {results.Length}, command needs {resultsNeeded}.", nameof(results));
        if (stamp.Index <= LastIndex) throw new InvalidOperationException($"Stamp index {stamp.Index} not after {LastIndex}.");
        if (stamp.Timestamp - itemCount <= LastTimestamp || stamp.Timestamp - itemCount < 0)
            throw new InvalidOperationException($"Stamp timestamp {stamp.Timestamp} with {itemCount} items not after {LastTimestamp}.");

        // Set for every command (not only applied ones), so an aborted earlier command can never leave it on.
        _systemCommand = kind is CommandKind.SystemCreateAccounts or CommandKind.SystemTransfers;
        LastIndex = stamp.Index;
        LastTerm = stamp.Term;
        LastTimestamp = stamp.Timestamp;
        CommandCount++;
        var now = stamp.Timestamp - itemCount;
        EvictFromWindow(now);
        ExpireDue(now, ref sink);

        if (malformed != ResultCode.Ok)
        {
            results[0] = new CreateResult(0, malformed);
            return 1;
        }

        var firstItemTimestamp = now + 1;
        switch (kind)
        {
            case CommandKind.CreateAccounts:
            case CommandKind.SystemCreateAccounts:
                CreateAccounts(MemoryMarshal.Cast<byte, Account>(payload), firstItemTimestamp, results, ref sink);
                break;
            case CommandKind.CreateTransfers:
            case CommandKind.SystemTransfers:
                CreateTransfers(MemoryMarshal.Cast<byte, Transfer>(payload), firstItemTimestamp, results, ref sink);
                break;
            case CommandKind.CloseAccounts:
                CloseAccounts(MemoryMarshal.Cast<byte, UInt128>(payload), results, ref sink);
                break;
        }

        _systemCommand = false;
        FlushDeferredFrees();
        Debug.Assert(!_inChain && _undoCount == 0 && _eventCount == 0);
        return itemCount;
    }

    // ---- idempotency window and expiry -------------------------------------------------------------

    private void EvictFromWindow(long now)
    {
        var retentionNs = _options.TransferRetentionNs;
        var cutoff = retentionNs > 0 && now > long.MinValue + retentionNs ? now - retentionNs : long.MinValue;
        while (_window.Count > 0)
        {
            // Each eviction removes a random index bucket (a DRAM miss): prefetch the records, then their
            // buckets, a few evictions ahead. Reading a record that will not be evicted is harmless.
            if (_window.Count > EvictPrefetchRecordsAhead) PrefetchSlot(_window[EvictPrefetchRecordsAhead]);
            if (_window.Count > EvictPrefetchIndexAhead) _transferIndex.Prefetch(_slots[_window[EvictPrefetchIndexAhead]].Transfer.Id);
            var slot = _window.PeekFront();
            if (_window.Count <= _options.TransferRetentionCount && _slots[slot].Transfer.Timestamp > cutoff) break;
            _window.PopFront();
            ref var record = ref _slots[slot];
            if (record.State == TransferState.Pending)
            {
                // Never forget a live hold: it stays findable by id until resolved.
                CaptureBeforeSlotWrite(slot);
                record.Evicted = 1;
            }
            else
            {
                Forget(slot);
            }
        }
    }

    /// <summary>
    /// Drops a stored transfer from the idempotency memory (it left the window, or left it earlier as a hold and is now
    /// resolved). A forgotten saga step raises <see cref="ForgottenSagaHighWater"/>: from now on its id is no proof.
    /// </summary>
    private void Forget(int slot)
    {
        var id = _slots[slot].Transfer.Id;
        if (SystemIds.IsStepTransferId(id) && SystemIds.SagaIdOf(id) > ForgottenSagaHighWater) ForgottenSagaHighWater = SystemIds.SagaIdOf(id);
        _transferIndex.Remove(id);
        FreeSlot(slot);
    }

    /// <summary>
    /// A saga step that is not stored: true when it must be refused with <see cref="ResultCode.StepOutcomeForgotten"/>
    /// because its saga is at or below <see cref="ForgottenSagaHighWater"/> (an earlier copy may have applied and been
    /// forgotten; refusing every copy keeps it from applying twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool MayHaveForgotten(UInt128 stepId) =>
        ForgottenSagaHighWater != 0 && SystemIds.IsStepTransferId(stepId) && SystemIds.SagaIdOf(stepId) <= ForgottenSagaHighWater;

    private const int EvictPrefetchRecordsAhead = 16;
    private const int EvictPrefetchIndexAhead = 8;

    /// <summary>
    /// Prefetches the lines of a slot that eviction reads: the id (offset 0) and the state (offset 136). A 144-byte
    /// record spans three or four cache lines, so the state almost never shares the id's line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchSlot(int slot)
    {
        if (!Sse.IsSupported) return;
        var slots = _slots;
        if ((uint)slot >= (uint)slots.Length) return;
        var p = (byte*)Unsafe.AsPointer(ref slots[slot]);
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + StoredTransfer.StateOffset);
    }

    private void ExpireDue<TSink>(long now, ref TSink sink) where TSink : struct, ILedgerEventSink
    {
        while (_expiry.TryPeek(out var deadline, out var slot) && deadline <= now)
        {
            ref var record = ref _slots[slot];
            var amount = record.Transfer.Amount;
            var found = _accountIndex.TryGet(record.Transfer.DebitAccountId, out var di) & _accountIndex.TryGet(record.Transfer.CreditAccountId, out var ci);
            ref var debit = ref _accounts[found ? di : 0];
            ref var credit = ref _accounts[found ? ci : 0];
            // Always-on guard (engine bug): checked before any change so nothing is half-applied.
            if (record.State != TransferState.Pending || !found || debit.DebitsPending < amount || credit.CreditsPending < amount)
                throw new InvalidOperationException($"Ledger corruption: expiring hold {record.Transfer.Id} is not backed.");
            CaptureBeforeSlotWrite(slot);
            CaptureBeforeAccountWrite(di);
            CaptureBeforeAccountWrite(ci);
            _expiry.Remove(slot);
            record.State = TransferState.Expired;
            _pendingCount--;
            if ((record.Transfer.Flags & TransferFlags.LockAccounts) != 0) ReleaseLocks(in record.Transfer, di, ci);
            debit.DebitsPending -= amount;
            credit.CreditsPending -= amount;
            Debug.Assert(debit.DebitsPending >= 0 && credit.CreditsPending >= 0);
            sink.OnPendingExpired(in record.Transfer, now, in debit, in credit);
            if (record.Evicted != 0) Forget(slot);
        }
    }

    // ---- slab ----------------------------------------------------------------------------------------

    private int AllocateSlot()
    {
        if (_freeSlotCount > 0) return _freeSlots[--_freeSlotCount];
        if (_slotHighWater == _slots.Length)
        {
            var capacity = _options.TransferSlotCapacity;
            if (_slots.Length >= capacity) throw new InvalidOperationException("Transfer slab exhausted (engine bug: limits bound it).");
            var next = (int)Math.Min((long)_slots.Length * 2, capacity);
            HugePageArray.Resize(ref _slots, next);
            Array.Resize(ref _freeSlots, next);
            _expiry.EnsureSlotCapacity(next);
        }

        return _slotHighWater++;
    }

    /// <summary>
    /// Marks a slot free (State 0) and pushes it on the free list. Only State and Evicted are cleared, not the whole
    /// 144 bytes: every reader of the slab skips slots with State 0 (snapshots, capture, digest, invariants, lock
    /// rebuild), and <see cref="InsertTransfer"/> rewrites every other field before the slot is live again (the reserved
    /// bytes are never written non-zero). Zeroing the rest cost a store to each of the record's 3–4 cache lines per
    /// evicted transfer, lines eviction otherwise never reads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FreeSlot(int slot)
    {
        CaptureBeforeSlotWrite(slot);
        ref var record = ref _slots[slot];
        record.State = 0;
        record.Evicted = 0;
        _freeSlots[_freeSlotCount++] = slot;
    }

    private void FlushDeferredFrees()
    {
        for (var i = 0; i < _deferredFreeCount; i++)
        {
            Forget(_deferredFree[i]);
        }

        _deferredFreeCount = 0;
    }

    private void PushDeferredFree(int slot)
    {
        if (_deferredFreeCount == _deferredFree.Length) Array.Resize(ref _deferredFree, _deferredFree.Length * 2);
        _deferredFree[_deferredFreeCount++] = slot;
        if (_inChain) PushUndo(UndoKind.DeferredFreePushed, slot);
    }

    /// <summary>
    /// Pre-sizes the account table, the transfer slab and both id indexes for about <paramref name="accounts"/> accounts
    /// and <paramref name="transfers"/> stored transfers (each capped at the configured limits), so a bulk rebuild
    /// (replay, restore) allocates each table once instead of doubling through every size: no intermediate copies, no
    /// rehashes, half the fresh pages. Only ever grows. Not observable: layout and capacity never reach the digest,
    /// snapshots or results.
    /// </summary>
    internal void ReserveCapacity(long accounts, long transfers)
    {
        var accountTarget = (int)Math.Clamp(accounts, 0, _options.MaxAccounts);
        if (accountTarget > _accounts.Length) HugePageArray.Resize(ref _accounts, accountTarget);
        _accountIndex.Reserve(accountTarget);

        var slotTarget = (int)Math.Clamp(transfers, 0, _options.TransferSlotCapacity);
        if (slotTarget > _slots.Length)
        {
            HugePageArray.Resize(ref _slots, slotTarget);
            Array.Resize(ref _freeSlots, slotTarget);
            _expiry.EnsureSlotCapacity(slotTarget);
        }

        _transferIndex.Reserve(slotTarget);
    }

    private void EnsureAccountCapacity()
    {
        if (_accountCount < _accounts.Length) return;
        var next = (int)Math.Min((long)_accounts.Length * 2, _options.MaxAccounts);
        Debug.Assert(next > _accounts.Length);
        HugePageArray.Resize(ref _accounts, next);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsReservedId(UInt128 id) => id == UInt128.Zero || id == UInt128.MaxValue;
}
