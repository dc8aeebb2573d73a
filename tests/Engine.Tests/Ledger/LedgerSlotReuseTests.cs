using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>
/// A freed slab slot keeps its old bytes (freeing clears only State and Evicted, BENCHMARKS §20): nothing of a forgotten
/// transfer may reach the transfer that reuses its slot, the snapshot, the digest or a copy-on-write capture.
/// </summary>
public sealed class LedgerSlotReuseTests
{
    [Fact]
    public void A_reused_slot_carries_nothing_of_the_forgotten_transfer()
    {
        var h = Standard(retentionCount: 2);
        // Holds with deadlines, user data and a post: every field of these records is non-zero somewhere.
        var hold = Tx(100, 1, 2, 40, flags: TransferFlags.Pending, timeoutSeconds: 9);
        hold.UserData128 = 0xABCD;
        hold.UserData64 = 77;
        hold.UserData32 = 5;
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], h.CreateTransfers(hold, Tx(101, 2, 1, 3, flags: TransferFlags.Pending, timeoutSeconds: 4)));
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], h.CreateTransfers(Post(102, 100), Void(103, 101)));
        // Two more commands: 100..103 leave the window and their slots go back to the free list, then get reused.
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], h.CreateTransfers(Tx(200, 1, 2, 1), Tx(201, 2, 1, 2)));
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], h.CreateTransfers(Tx(202, 1, 2, 3), Tx(203, 2, 1, 4)));
        Assert.False(h.Machine.TryGetTransfer(100, out _));
        Assert.Equal(4, h.Machine.StoredTransferCount); // window (2) + this command's batch (2) before the next eviction

        foreach (UInt128 id in new UInt128[] { 202, 203 })
        {
            Assert.True(h.Machine.TryGetTransfer(id, out var t, out var state));
            Assert.Equal(TransferState.Settled, state);
            Assert.Equal((UInt128)0, t.UserData128);
            Assert.Equal(0UL, t.UserData64);
            Assert.Equal(0U, t.UserData32);
            Assert.Equal(0U, t.TimeoutSeconds);
            Assert.Equal((UInt128)0, t.PendingId);
        }

        // Every stored record is exactly what was inserted: no stale deadline, flag, reserved byte or eviction mark.
        var image = h.Machine.CaptureImage();
        foreach (ref readonly var r in image.Transfers)
        {
            Assert.Equal(0L, r.DeadlineTimestamp);
            Assert.Equal(0, r.Evicted);
            Assert.Equal(0, r.Reserved0);
            Assert.Equal(0U, r.Reserved1);
            Assert.Equal(TransferFlags.None, r.Transfer.Flags);
        }

        // Restore refuses stale bytes (a settled record with a deadline, reserved bits): it must accept this state,
        // reproduce its digest and continue identically.
        using var bytes = new MemoryStream();
        h.Machine.WriteState(bytes);
        var restored = new LedgerHarness(LedgerStateMachine.Restore(h.Machine.Options, new MemoryStream(bytes.ToArray())));
        Assert.Equal(h.Machine.ComputeDigest(), restored.Machine.ComputeDigest());
        foreach (var x in new[] { h, restored })
        {
            Assert.Equal([ResultCode.Ok, ResultCode.Ok], x.CreateTransfers(Tx(300, 1, 2, 5), Tx(100, 2, 1, 6))); // 100 is new again
        }

        Assert.Equal(h.Machine.ComputeDigest(), restored.Machine.ComputeDigest());
    }

    [Fact]
    public void A_slot_freed_by_a_rolled_back_chain_is_reused_cleanly()
    {
        var h = Standard(retentionCount: 8);
        // The chain inserts 10 (a hold with a deadline) then fails on 11: 10's slot is freed by the rollback.
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.AccountsMustBeDifferent],
            h.CreateTransfers(Tx(10, 1, 2, 5, flags: TransferFlags.Pending | TransferFlags.Linked, timeoutSeconds: 3), Tx(11, 1, 1, 5)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(12, 1, 2, 5)));
        Assert.False(h.Machine.TryGetTransfer(10, out _));
        Assert.Equal(0, h.Machine.PendingTransferCount);
        var image = h.Machine.CaptureImage();
        var record = Assert.Single(image.Transfers.ToArray());
        Assert.Equal((UInt128)12, record.Transfer.Id);
        Assert.Equal(0L, record.DeadlineTimestamp);
        Assert.Equal(TransferState.Settled, record.State);
        h.Tick(5 * Second); // 10's old deadline passes: nothing may expire
        Assert.DoesNotContain(h.Events, e => e.StartsWith("expired", StringComparison.Ordinal));
        Assert.Equal(0, h.Get(1).DebitsPending);
        Assert.Equal(5, h.Get(1).DebitsPosted);
    }
}
