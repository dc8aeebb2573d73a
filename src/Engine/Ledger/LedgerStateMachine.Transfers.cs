using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Wallet.Engine.Ledger;

/// <summary>Create transfers: single-phase, pending, post-pending, void-pending.</summary>
public sealed partial class LedgerStateMachine
{
    private const TransferFlags KnownTransferFlags = TransferFlags.Linked | TransferFlags.Pending
        | TransferFlags.PostPendingTransfer | TransferFlags.VoidPendingTransfer | SystemTransferFlags;

    /// <summary>Flags only system commands (the saga sequencer) may set.</summary>
    private const TransferFlags SystemTransferFlags = TransferFlags.FenceIfAbsent | TransferFlags.LockAccounts;

    private const TransferFlags PhaseFlags = TransferFlags.Pending | TransferFlags.PostPendingTransfer | TransferFlags.VoidPendingTransfer;

    private void CreateTransfers<TSink>(ReadOnlySpan<Transfer> items, long firstTimestamp, Span<CreateResult> results, ref TSink sink)
        where TSink : struct, ILedgerEventSink
    {
        var n = items.Length;
        var chainStart = -1;
        var ahead = _accountsAhead;
        ahead.AsSpan().Fill(-1); // no entry from an earlier command may pass for one of this command's items
        for (var j = 0; j < n && j < PrefetchRowsAhead; j++) LookupAccountsAhead(in items[j], ahead, j);
        for (var i = 0; i < n; i++)
        {
            // Every lookup below is a likely DRAM miss on a large ledger: start them some items ahead so the
            // misses overlap. Index buckets first, then (once those have arrived) the account rows they name.
            if (i + PrefetchIndexAhead < n) PrefetchTransferIndexes(in items[i + PrefetchIndexAhead]);
            if (i + PrefetchRowsAhead < n) LookupAccountsAhead(in items[i + PrefetchRowsAhead], ahead, i + PrefetchRowsAhead);
            ref readonly var item = ref items[i];
            var linked = (item.Flags & TransferFlags.Linked) != 0;
            if (linked && chainStart < 0)
            {
                chainStart = i;
                BeginChain();
            }

            var code = linked && i == n - 1 ? ResultCode.LinkedEventChainOpen : CreateTransfer(in item, firstTimestamp + i, ref sink, ahead, i);
            results[i] = new CreateResult(i, code);
            if (chainStart >= 0) i = SettleChain(items, i, code, ref chainStart, results, ref sink);
        }

        Debug.Assert(chainStart < 0);
    }

    private const int PrefetchIndexAhead = 8;
    private const int PrefetchRowsAhead = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchTransferIndexes(in Transfer t)
    {
        _transferIndex.Prefetch(t.Id);
        _accountIndex.Prefetch(t.DebitAccountId);
        _accountIndex.Prefetch(t.CreditAccountId);
        if (t.PendingId != UInt128.Zero) _transferIndex.Prefetch(t.PendingId);
    }

    /// <summary>Ring of (item, debit, credit) account positions looked up ahead; holds more than PrefetchRowsAhead items.</summary>
    private const int AheadMask = 7;
    private const int AheadStride = 3;

    /// <summary>
    /// Resolves item <paramref name="item"/>'s account ids (−1 = not found) into the ahead ring and prefetches
    /// their rows. Sound to reuse when the item is processed: a transfer command never adds or removes accounts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void LookupAccountsAhead(in Transfer t, int[] ahead, int item)
    {
        var di = t.DebitAccountId != UInt128.Zero && _accountIndex.TryGet(t.DebitAccountId, out var d) ? d : -1;
        var ci = t.CreditAccountId != UInt128.Zero && _accountIndex.TryGet(t.CreditAccountId, out var c) ? c : -1;
        var k = (item & AheadMask) * AheadStride;
        ahead[k] = item;
        ahead[k + 1] = di;
        ahead[k + 2] = ci;
        if (di >= 0) PrefetchAccount(di);
        if (ci >= 0) PrefetchAccount(ci);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchAccount(int index)
    {
        var accounts = _accounts;
        if ((uint)index >= (uint)accounts.Length) return;
        // Balances, ledger and flags live at offsets 32..91: the lines holding both ends cover them.
        var p = (byte*)Unsafe.AsPointer(ref accounts[index]);
        Sse.Prefetch0(p + 32);
        Sse.Prefetch0(p + 91);
    }

    // ahead: account positions looked up ahead (LookupAccountsAhead); item: this item's position, its key there.
    private ResultCode CreateTransfer<TSink>(in Transfer t, long timestamp, ref TSink sink, int[] ahead, int item) where TSink : struct, ILedgerEventSink
    {
        if (t.Timestamp != 0) return ResultCode.TimestampMustBeZero;
        if ((t.Flags & ~KnownTransferFlags) != 0) return ResultCode.ReservedFlag;
        if (t.Reserved != 0) return ResultCode.ReservedField;
        if (t.Id == UInt128.Zero) return ResultCode.IdMustNotBeZero;
        if (t.Id == UInt128.MaxValue) return ResultCode.IdMustNotBeIntMax;
        if (_systemCommand)
        {
            // System steps are single items: a chain would tie a saga's step to unrelated items.
            if ((t.Flags & TransferFlags.Linked) != 0) return ResultCode.ReservedFlag;
        }
        else
        {
            if ((t.Flags & SystemTransferFlags) != 0) return ResultCode.ReservedFlag;
            if (SystemIds.IsSystem(t.Id) || SystemIds.IsSystem(t.PendingId)
                || SystemIds.IsSystem(t.DebitAccountId) || SystemIds.IsSystem(t.CreditAccountId)) return ResultCode.IdReservedForSystem;
        }

        var phase = t.Flags & PhaseFlags;
        if (phase != 0 && (phase & (phase - 1)) != 0) return ResultCode.FlagsAreMutuallyExclusive;
        if ((t.Flags & TransferFlags.FenceIfAbsent) != 0 && phase != TransferFlags.VoidPendingTransfer) return ResultCode.ReservedFlag;
        // A lock holder or tombstone must carry a system id: then no client item (and so no chain, which could roll back
        // a resolution without its lock release) can ever name it.
        if ((t.Flags & TransferFlags.LockAccounts) != 0 && (phase != TransferFlags.Pending || !SystemIds.IsSystem(t.Id))) return ResultCode.ReservedFlag;
        if ((t.Flags & TransferFlags.FenceIfAbsent) != 0 && !SystemIds.IsSystem(t.PendingId)) return ResultCode.ReservedFlag;
        if (phase is TransferFlags.PostPendingTransfer or TransferFlags.VoidPendingTransfer) return ResolvePending(in t, timestamp, ref sink);

        if (t.DebitAccountId == UInt128.Zero) return ResultCode.DebitAccountIdMustNotBeZero;
        if (t.DebitAccountId == UInt128.MaxValue) return ResultCode.DebitAccountIdMustNotBeIntMax;
        if (t.CreditAccountId == UInt128.Zero) return ResultCode.CreditAccountIdMustNotBeZero;
        if (t.CreditAccountId == UInt128.MaxValue) return ResultCode.CreditAccountIdMustNotBeIntMax;
        if (t.DebitAccountId == t.CreditAccountId) return ResultCode.AccountsMustBeDifferent;
        if (t.PendingId != UInt128.Zero) return ResultCode.PendingIdMustBeZero;
        var pending = phase == TransferFlags.Pending;
        if (!pending && t.TimeoutSeconds != 0) return ResultCode.TimeoutReservedForPendingTransfer;
        if (t.Amount == 0) return ResultCode.AmountMustNotBeZero;
        if (t.Amount < 0) return ResultCode.AmountMustNotBeNegative;
        if (t.Ledger == 0) return ResultCode.LedgerMustNotBeZero;
        if (!_catalog.Contains(t.Ledger)) return ResultCode.LedgerNotConfigured;
        if (t.Code == 0) return ResultCode.CodeMustNotBeZero;

        if (_transferIndex.TryGet(t.Id, out var existingSlot, out var insertAt))
        {
            return _slots[existingSlot].State == TransferState.Fenced ? ResultCode.TransferFenced : CompareExisting(in t, in _slots[existingSlot].Transfer);
        }

        if (MayHaveForgotten(t.Id)) return ResultCode.StepOutcomeForgotten;

        var k = (item & AheadMask) * AheadStride;
        int di, ci;
        if (ahead[k] == item)
        {
            di = ahead[k + 1];
            ci = ahead[k + 2];
        }
        else
        {
            // Not looked up ahead (a failed chain skipped past it): same lookups, done now.
            di = _accountIndex.TryGet(t.DebitAccountId, out var d) ? d : -1;
            ci = _accountIndex.TryGet(t.CreditAccountId, out var c) ? c : -1;
        }

        Debug.Assert(di == (_accountIndex.TryGet(t.DebitAccountId, out var dd) ? dd : -1));
        Debug.Assert(ci == (_accountIndex.TryGet(t.CreditAccountId, out var cc) ? cc : -1));
        if (di < 0) return ResultCode.DebitAccountNotFound;
        if (ci < 0) return ResultCode.CreditAccountNotFound;
        ref var debit = ref _accounts[di];
        ref var credit = ref _accounts[ci];
        if (debit.Ledger != credit.Ledger) return ResultCode.AccountsMustHaveTheSameLedger;
        if (t.Ledger != debit.Ledger) return ResultCode.TransferMustHaveTheSameLedgerAsAccounts;
        if ((debit.Flags & AccountFlags.Closed) != 0) return ResultCode.DebitAccountClosed;
        if ((credit.Flags & AccountFlags.Closed) != 0) return ResultCode.CreditAccountClosed;
        if (_lockedAccountCount != 0 && (IsLocked(di) || IsLocked(ci))) return ResultCode.AccountLocked;

        var amount = t.Amount;
        long deadline = 0;
        if (pending)
        {
            if (_pendingCount >= _options.MaxPendingTransfers) return ResultCode.PendingTransfersLimitReached;
            if (t.TimeoutSeconds != 0)
            {
                var timeoutNs = t.TimeoutSeconds * NanosecondsPerSecond; // ≤ 4.3e18: fits in long
                if (timestamp > long.MaxValue - timeoutNs) return ResultCode.OverflowsTimeout;
                deadline = timestamp + timeoutNs;
            }

            if (debit.DebitsPending > long.MaxValue - amount) return ResultCode.OverflowsDebitsPending;
            if (credit.CreditsPending > long.MaxValue - amount) return ResultCode.OverflowsCreditsPending;
        }
        else
        {
            if (debit.DebitsPosted > long.MaxValue - amount) return ResultCode.OverflowsDebitsPosted;
            if (credit.CreditsPosted > long.MaxValue - amount) return ResultCode.OverflowsCreditsPosted;
        }

        // Totals (pending + posted + amount) must also be representable: the limit checks below use them.
        if (debit.DebitsPending > long.MaxValue - debit.DebitsPosted
            || debit.DebitsPending + debit.DebitsPosted > long.MaxValue - amount) return ResultCode.OverflowsDebits;
        if (credit.CreditsPending > long.MaxValue - credit.CreditsPosted
            || credit.CreditsPending + credit.CreditsPosted > long.MaxValue - amount) return ResultCode.OverflowsCredits;

        if ((debit.Flags & AccountFlags.DebitsMustNotExceedCredits) != 0
            && debit.DebitsPending + debit.DebitsPosted + amount > debit.CreditsPosted) return ResultCode.ExceedsCredits;
        if ((credit.Flags & AccountFlags.CreditsMustNotExceedDebits) != 0
            && credit.CreditsPending + credit.CreditsPosted + amount > credit.DebitsPosted) return ResultCode.ExceedsDebits;

        // ---- validated: apply (nothing above mutated state) ----
        CaptureBeforeAccountWrite(di);
        CaptureBeforeAccountWrite(ci);
        if (_inChain)
        {
            PushAccountUndo(di);
            PushAccountUndo(ci);
        }

        if (pending)
        {
            debit.DebitsPending += amount;
            credit.CreditsPending += amount;
        }
        else
        {
            debit.DebitsPosted += amount;
            credit.CreditsPosted += amount;
        }

        var slot = InsertTransfer(in t, timestamp, pending ? TransferState.Pending : TransferState.Settled, deadline, insertAt);
        if ((t.Flags & TransferFlags.LockAccounts) != 0) AcquireLocks(in t, di, ci);
        // InsertTransfer may grow the slab; account refs stay valid (different array).
        ref readonly var stored = ref _slots[slot].Transfer;
        if (_inChain)
        {
            ref var e = ref NextBufferedEvent(pending ? BufferedEventKind.PendingCreated : BufferedEventKind.TransferPosted);
            e.Transfer = stored;
            e.First = debit;
            e.Second = credit;
        }
        else if (pending)
        {
            sink.OnPendingCreated(in stored, in debit, in credit);
        }
        else
        {
            sink.OnTransferPosted(in stored, in debit, in credit);
        }

        return ResultCode.Ok;
    }

    private ResultCode ResolvePending<TSink>(in Transfer t, long timestamp, ref TSink sink) where TSink : struct, ILedgerEventSink
    {
        var post = (t.Flags & TransferFlags.PostPendingTransfer) != 0;
        if (t.PendingId == UInt128.Zero) return ResultCode.PendingIdMustNotBeZero;
        if (t.PendingId == UInt128.MaxValue) return ResultCode.PendingIdMustNotBeIntMax;
        if (t.PendingId == t.Id) return ResultCode.PendingIdMustBeDifferent;
        if (t.TimeoutSeconds != 0) return ResultCode.TimeoutReservedForPendingTransfer;
        if (t.Amount < 0) return ResultCode.AmountMustNotBeNegative;

        if (_transferIndex.TryGet(t.Id, out var existingSlot, out var insertAt))
        {
            return _slots[existingSlot].State == TransferState.Fenced ? ResultCode.TransferFenced : CompareExistingResolution(in t, in _slots[existingSlot].Transfer);
        }

        var fence = (t.Flags & TransferFlags.FenceIfAbsent) != 0;
        if (!_transferIndex.TryGet(t.PendingId, out var pendingSlot))
        {
            // A step's hold (or credit) that may have applied, been resolved and been forgotten: neither "not found" nor
            // a fence would be true. (While the pending step is stored, this post or void proceeds whatever its own id.)
            if (MayHaveForgotten(t.PendingId)) return ResultCode.StepOutcomeForgotten;
            if (!fence) return ResultCode.PendingTransferNotFound;
            // The cancel overtook its try: remember the id so that the late try is refused (TCC out-of-order rule).
            var tombstone = t;
            tombstone.Id = t.PendingId;
            tombstone.PendingId = t.Id;
            InsertTransfer(in tombstone, timestamp, TransferState.Fenced, 0, -1);
            return ResultCode.Ok;
        }

        ref var record = ref _slots[pendingSlot];
        if (record.State == TransferState.Fenced) return fence ? ResultCode.Exists : ResultCode.TransferFenced;
        if (record.State == TransferState.Settled) return ResultCode.PendingTransferNotPending;
        ref readonly var p = ref record.Transfer;
        if (t.DebitAccountId != UInt128.Zero && t.DebitAccountId != p.DebitAccountId) return ResultCode.PendingTransferHasDifferentDebitAccountId;
        if (t.CreditAccountId != UInt128.Zero && t.CreditAccountId != p.CreditAccountId) return ResultCode.PendingTransferHasDifferentCreditAccountId;
        if (t.Ledger != 0 && t.Ledger != p.Ledger) return ResultCode.PendingTransferHasDifferentLedger;
        if (t.Code != 0 && t.Code != p.Code) return ResultCode.PendingTransferHasDifferentCode;
        if (post)
        {
            if (t.Amount > p.Amount) return ResultCode.ExceedsPendingTransferAmount;
        }
        else if (t.Amount != 0 && t.Amount != p.Amount)
        {
            return ResultCode.PendingTransferHasDifferentAmount;
        }

        switch (record.State)
        {
            case TransferState.Posted: return ResultCode.PendingTransferAlreadyPosted;
            case TransferState.Voided: return ResultCode.PendingTransferAlreadyVoided;
            case TransferState.Expired: return ResultCode.PendingTransferExpired;
        }

        Debug.Assert(record.State == TransferState.Pending);
        // Due but not yet swept (the sweep runs at command start): still expired at this item's instant.
        if (record.DeadlineTimestamp != 0 && record.DeadlineTimestamp <= timestamp) return ResultCode.PendingTransferExpired;

        var found = _accountIndex.TryGet(p.DebitAccountId, out var di) & _accountIndex.TryGet(p.CreditAccountId, out var ci);
        ref var debit = ref _accounts[found ? di : 0];
        ref var credit = ref _accounts[found ? ci : 0];
        // Always-on guard (engine bug, not client data): a hold must be backed by the pending balances.
        if (!found || debit.DebitsPending < p.Amount || credit.CreditsPending < p.Amount)
            throw new InvalidOperationException($"Ledger corruption: hold {p.Id} is not backed by its accounts' pending balances.");
        // Closing is refused while holds exist, so neither account can be closed here.
        Debug.Assert((debit.Flags & AccountFlags.Closed) == 0 && (credit.Flags & AccountFlags.Closed) == 0);
        var postedAmount = post ? (t.Amount == 0 ? p.Amount : t.Amount) : 0;
        if (debit.DebitsPosted > long.MaxValue - postedAmount) return ResultCode.OverflowsDebitsPosted;
        if (credit.CreditsPosted > long.MaxValue - postedAmount) return ResultCode.OverflowsCreditsPosted;

        // ---- validated: apply ----
        CaptureBeforeAccountWrite(di);
        CaptureBeforeAccountWrite(ci);
        CaptureBeforeSlotWrite(pendingSlot);
        if (_inChain)
        {
            PushAccountUndo(di);
            PushAccountUndo(ci);
            PushUndo(UndoKind.PendingResolved, pendingSlot);
        }

        debit.DebitsPending -= p.Amount;
        credit.CreditsPending -= p.Amount;
        debit.DebitsPosted += postedAmount;
        credit.CreditsPosted += postedAmount;
        Debug.Assert(debit.DebitsPending >= 0 && credit.CreditsPending >= 0);
        record.State = post ? TransferState.Posted : TransferState.Voided;
        _pendingCount--;
        if ((p.Flags & TransferFlags.LockAccounts) != 0) ReleaseLocks(in p, di, ci);
        if (record.DeadlineTimestamp != 0) _expiry.Remove(pendingSlot);
        if (record.Evicted != 0) PushDeferredFree(pendingSlot);

        var resolution = t;
        resolution.DebitAccountId = p.DebitAccountId;
        resolution.CreditAccountId = p.CreditAccountId;
        resolution.Ledger = p.Ledger;
        resolution.Code = p.Code;
        resolution.Amount = post ? postedAmount : p.Amount;
        var pendingCopy = p; // InsertTransfer may grow the slab and move `record`.
        var slot = InsertTransfer(in resolution, timestamp, TransferState.Settled, 0, insertAt);
        ref readonly var stored = ref _slots[slot].Transfer;
        if (_inChain)
        {
            ref var e = ref NextBufferedEvent(post ? BufferedEventKind.PendingPosted : BufferedEventKind.PendingVoided);
            e.Transfer = stored;
            e.Pending = pendingCopy;
            e.First = debit;
            e.Second = credit;
        }
        else if (post)
        {
            sink.OnPendingPosted(in stored, in pendingCopy, in debit, in credit);
        }
        else
        {
            sink.OnPendingVoided(in stored, in pendingCopy, in debit, in credit);
        }

        return ResultCode.Ok;
    }

    // insertAt: bucket from the id's absent lookup, with no index change since (−1 = probe again).
    private int InsertTransfer(in Transfer t, long timestamp, TransferState state, long deadline, int insertAt)
    {
        var slot = AllocateSlot();
        CaptureBeforeSlotWrite(slot); // a reused free slot can lie inside a capture's range
        ref var record = ref _slots[slot];
        record.Transfer = t;
        record.Transfer.Flags &= ~TransferFlags.Linked; // chain membership belongs to the submission
        record.Transfer.Timestamp = timestamp;
        record.DeadlineTimestamp = deadline;
        record.State = state;
        record.Evicted = 0;
        _transferIndex.AddAt(insertAt, t.Id, slot);
        _window.PushBack(slot);
        if (state == TransferState.Pending)
        {
            _pendingCount++;
            if (deadline != 0) _expiry.Push(slot, deadline, t.Id);
        }

        if (_inChain) PushUndo(UndoKind.TransferInserted, slot);
        return slot;
    }

    private static ResultCode CompareExisting(in Transfer t, in Transfer e)
    {
        if ((t.Flags & ~TransferFlags.Linked) != e.Flags) return ResultCode.ExistsWithDifferentFlags;
        if (t.DebitAccountId != e.DebitAccountId) return ResultCode.ExistsWithDifferentDebitAccountId;
        if (t.CreditAccountId != e.CreditAccountId) return ResultCode.ExistsWithDifferentCreditAccountId;
        if (t.Amount != e.Amount) return ResultCode.ExistsWithDifferentAmount;
        if (t.PendingId != e.PendingId) return ResultCode.ExistsWithDifferentPendingId;
        if (t.TimeoutSeconds != e.TimeoutSeconds) return ResultCode.ExistsWithDifferentTimeout;
        if (t.UserData128 != e.UserData128) return ResultCode.ExistsWithDifferentUserData128;
        if (t.UserData64 != e.UserData64) return ResultCode.ExistsWithDifferentUserData64;
        if (t.UserData32 != e.UserData32) return ResultCode.ExistsWithDifferentUserData32;
        if (t.Ledger != e.Ledger) return ResultCode.ExistsWithDifferentLedger;
        if (t.Code != e.Code) return ResultCode.ExistsWithDifferentCode;
        return ResultCode.Exists;
    }

    /// <summary>For post/void repeats, zero debit/credit/ledger/code/amount mean "inherited" and match the stored values.</summary>
    private static ResultCode CompareExistingResolution(in Transfer t, in Transfer e)
    {
        if ((t.Flags & ~TransferFlags.Linked) != e.Flags) return ResultCode.ExistsWithDifferentFlags;
        if (t.PendingId != e.PendingId) return ResultCode.ExistsWithDifferentPendingId;
        if (t.DebitAccountId != UInt128.Zero && t.DebitAccountId != e.DebitAccountId) return ResultCode.ExistsWithDifferentDebitAccountId;
        if (t.CreditAccountId != UInt128.Zero && t.CreditAccountId != e.CreditAccountId) return ResultCode.ExistsWithDifferentCreditAccountId;
        if (t.Amount != 0 && t.Amount != e.Amount) return ResultCode.ExistsWithDifferentAmount;
        if (t.UserData128 != e.UserData128) return ResultCode.ExistsWithDifferentUserData128;
        if (t.UserData64 != e.UserData64) return ResultCode.ExistsWithDifferentUserData64;
        if (t.UserData32 != e.UserData32) return ResultCode.ExistsWithDifferentUserData32;
        if (t.Ledger != 0 && t.Ledger != e.Ledger) return ResultCode.ExistsWithDifferentLedger;
        if (t.Code != 0 && t.Code != e.Code) return ResultCode.ExistsWithDifferentCode;
        return ResultCode.Exists;
    }
}
