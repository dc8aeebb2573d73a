using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>System commands (saga sequencer): reserved ids, fences (TCC out-of-order rule) and 2PC locks.</summary>
public sealed class LedgerSystemCommandTests
{
    private static readonly UInt128 Clearing = SystemIds.ClearingAccountId(1, 0);
    private static readonly UInt128 Try = SystemIds.StepTransferId(7, 1);
    private static readonly UInt128 Cancel = SystemIds.StepTransferId(7, 5);
    private static readonly UInt128 Confirm = SystemIds.StepTransferId(7, 3);

    private static ResultCode[] System(LedgerHarness h, params Transfer[] transfers) =>
        Array.ConvertAll(h.Execute(CommandKind.SystemTransfers, MemoryMarshal.AsBytes(transfers.AsSpan())), r => r.Code);

    /// <summary>Standard accounts + the USD clearing account (created by a system command).</summary>
    private static LedgerHarness WithClearing()
    {
        var h = Standard();
        var accounts = new[] { Acc(Clearing) };
        Assert.Equal(ResultCode.Ok, h.Execute(CommandKind.SystemCreateAccounts, MemoryMarshal.AsBytes(accounts.AsSpan()))[0].Code);
        return h;
    }

    private static Transfer Hold(UInt128 id, UInt128 from, UInt128 to, long amount, TransferFlags extra = TransferFlags.None) =>
        Tx(id, from, to, amount, flags: TransferFlags.Pending | extra);

    internal static ResultCode FencedTryCode()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Void(Cancel, Try, extra: TransferFlags.FenceIfAbsent)));
        return System(h, Hold(Try, 1, Clearing, 10))[0];
    }

    internal static ResultCode LockedAccountCode()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Hold(Try, 1, Clearing, 10, TransferFlags.LockAccounts)));
        return h.Transfer1(Tx(50, 1, 2, 1));
    }

    [Fact]
    public void Client_items_naming_system_ids_or_flags_are_refused_and_leave_no_trace()
    {
        var h = WithClearing();
        var before = h.Machine.ComputeDigestWithoutStamp();
        var codes = h.CreateTransfers(
            Tx(Try, 1, 2, 5),
            Tx(60, 1, Clearing, 5),
            Tx(61, Clearing, 2, 5),
            Post(62, Try),
            Tx(63, 1, 2, 5, flags: TransferFlags.Pending | TransferFlags.LockAccounts),
            Void(64, 20, extra: TransferFlags.FenceIfAbsent));
        Assert.Equal([ResultCode.IdReservedForSystem, ResultCode.IdReservedForSystem, ResultCode.IdReservedForSystem,
            ResultCode.IdReservedForSystem, ResultCode.ReservedFlag, ResultCode.ReservedFlag], codes);
        Assert.Equal(ResultCode.IdReservedForSystem, h.Account1(Acc(SystemIds.ClearingAccountId(1, 9))));
        Assert.Equal(before, h.Machine.ComputeDigestWithoutStamp());
    }

    [Fact]
    public void System_items_may_not_be_linked_and_system_flags_need_system_ids()
    {
        var h = WithClearing();
        // A linked system item fails, and so does the item it chains to.
        Assert.Equal([ResultCode.ReservedFlag, ResultCode.LinkedEventFailed],
            System(h, Hold(Try, 1, Clearing, 10, TransferFlags.Linked), Hold(SystemIds.StepTransferId(8, 1), 2, Clearing, 10)));
        Assert.Equal([ResultCode.ReservedFlag], System(h, Hold(70, 1, Clearing, 10, TransferFlags.LockAccounts)));
        Assert.Equal([ResultCode.ReservedFlag], System(h, Void(Cancel, 20, extra: TransferFlags.FenceIfAbsent)));
        Assert.Equal([ResultCode.ReservedFlag], System(h, Tx(Try, 1, Clearing, 10, flags: TransferFlags.LockAccounts)));
    }

    [Fact]
    public void A_cancel_that_overtakes_its_try_is_recorded_and_the_late_try_is_refused()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Void(Cancel, Try, extra: TransferFlags.FenceIfAbsent)));
        Assert.True(h.Machine.TryGetTransfer(Try, out _, out var state));
        Assert.Equal(TransferState.Fenced, state);
        // The late try, a repeat of the cancel, and a post of the fenced id.
        Assert.Equal([ResultCode.TransferFenced], System(h, Hold(Try, 1, Clearing, 10)));
        Assert.Equal([ResultCode.Exists], System(h, Void(Cancel, Try, extra: TransferFlags.FenceIfAbsent)));
        Assert.Equal([ResultCode.TransferFenced], System(h, Post(Confirm, Try)));
        Assert.Equal(0, h.Get(1).DebitsPending);
        Assert.Equal(0, h.Machine.PendingTransferCount);
    }

    [Fact]
    public void A_cancel_after_its_try_voids_the_hold()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Hold(Try, 1, Clearing, 10)));
        Assert.Equal(10, h.Get(1).DebitsPending);
        Assert.Equal([ResultCode.Ok], System(h, Void(Cancel, Try, extra: TransferFlags.FenceIfAbsent)));
        Assert.Equal(0, h.Get(1).DebitsPending);
        Assert.Equal([ResultCode.Exists], System(h, Void(Cancel, Try, extra: TransferFlags.FenceIfAbsent)));
        Assert.Equal([ResultCode.Exists], System(h, Hold(Try, 1, Clearing, 10)));
        Assert.Equal(0, h.Get(1).DebitsPending);
    }

    [Fact]
    public void Fencing_a_settled_transfer_reports_it_applied()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Tx(Try, Clearing, 2, 10)));
        Assert.Equal([ResultCode.PendingTransferNotPending], System(h, Void(Cancel, Try, extra: TransferFlags.FenceIfAbsent)));
        Assert.Equal(10, h.Get(2).CreditsPosted);
    }

    [Fact]
    public void A_prepare_locks_its_customer_account_until_commit_or_abort()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Hold(Try, 1, Clearing, 10, TransferFlags.LockAccounts)));
        Assert.True(h.Machine.IsAccountLocked(1));
        Assert.False(h.Machine.IsAccountLocked(Clearing));
        Assert.Equal(ResultCode.AccountLocked, h.Transfer1(Tx(50, 2, 1, 1)));
        Assert.Equal(ResultCode.AccountLocked, h.Transfer1(Tx(51, 1, 2, 1, flags: TransferFlags.Pending)));
        // Another prepare on the same account conflicts too; a transfer not touching account 1 does not.
        Assert.Equal([ResultCode.AccountLocked], System(h, Hold(SystemIds.StepTransferId(8, 1), 1, Clearing, 1, TransferFlags.LockAccounts)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(52, 2, 6, 1)));

        Assert.Equal([ResultCode.Ok], System(h, Post(Confirm, Try)));
        Assert.False(h.Machine.IsAccountLocked(1));
        Assert.Equal(0, h.Machine.LockedAccountCount);
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(50, 2, 1, 1)));
        Assert.Equal(10, h.Get(Clearing).CreditsPosted);

        var abort = SystemIds.StepTransferId(9, 1);
        Assert.Equal([ResultCode.Ok], System(h, Hold(abort, 2, Clearing, 3, TransferFlags.LockAccounts)));
        Assert.Equal([ResultCode.Ok], System(h, Void(SystemIds.StepTransferId(9, 5), abort, extra: TransferFlags.FenceIfAbsent)));
        Assert.False(h.Machine.IsAccountLocked(2));
    }

    [Fact]
    public void Locks_and_fences_survive_snapshot_restore_with_the_same_digest()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Hold(Try, 1, Clearing, 10, TransferFlags.LockAccounts)));
        var fenced = SystemIds.StepTransferId(11, 2);
        Assert.Equal([ResultCode.Ok], System(h, Void(SystemIds.StepTransferId(11, 6), fenced, extra: TransferFlags.FenceIfAbsent)));
        var bytes = new MemoryStream();
        h.Machine.WriteState(bytes);
        var restored = new LedgerHarness(LedgerStateMachine.Restore(h.Machine.Options, new MemoryStream(bytes.ToArray())));
        Assert.Equal(h.Machine.ComputeDigest(), restored.Machine.ComputeDigest());
        Assert.True(restored.Machine.IsAccountLocked(1));
        Assert.Equal(ResultCode.AccountLocked, restored.Transfer1(Tx(50, 1, 2, 1)));
        Assert.Equal([ResultCode.TransferFenced], System(restored, Tx(fenced, Clearing, 2, 4)));
        Assert.Equal([ResultCode.Ok], System(restored, Post(Confirm, Try)));
        Assert.Equal(ResultCode.Ok, restored.Transfer1(Tx(50, 1, 2, 1)));
    }

    [Fact]
    public void An_expiring_prepare_releases_its_locks()
    {
        var h = WithClearing();
        Assert.Equal([ResultCode.Ok], System(h, Tx(Try, 1, Clearing, 10, flags: TransferFlags.Pending | TransferFlags.LockAccounts, timeoutSeconds: 5)));
        Assert.True(h.Machine.IsAccountLocked(1));
        h.Tick(6 * Second);
        Assert.False(h.Machine.IsAccountLocked(1));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(50, 1, 2, 1)));
    }
}
