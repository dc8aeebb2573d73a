using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

public sealed class LedgerSemanticsTests
{
    private const TransferFlags Pending = TransferFlags.Pending;
    private const TransferFlags Linked = TransferFlags.Linked;

    private static int Offset<T, TField>(ref T s, ref TField f) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<T, byte>(ref s), ref Unsafe.As<TField, byte>(ref f));

    [Fact]
    public void Wire_structs_have_fixed_sizes_and_documented_offsets()
    {
        Assert.Equal(128, Unsafe.SizeOf<Account>());
        Assert.Equal(128, Unsafe.SizeOf<Transfer>());
        Assert.Equal(8, Unsafe.SizeOf<CreateResult>());
        Assert.Equal(144, Unsafe.SizeOf<StoredTransfer>());
        var a = default(Account);
        Assert.Equal(16, Offset(ref a, ref a.UserData128));
        Assert.Equal(32, Offset(ref a, ref a.DebitsPending));
        Assert.Equal(56, Offset(ref a, ref a.CreditsPosted));
        Assert.Equal(72, Offset(ref a, ref a.Timestamp));
        Assert.Equal(84, Offset(ref a, ref a.Ledger));
        Assert.Equal(90, Offset(ref a, ref a.Flags));
        var t = default(Transfer);
        Assert.Equal(48, Offset(ref t, ref t.PendingId));
        Assert.Equal(80, Offset(ref t, ref t.Amount));
        Assert.Equal(96, Offset(ref t, ref t.Timestamp));
        Assert.Equal(108, Offset(ref t, ref t.TimeoutSeconds));
        Assert.Equal(118, Offset(ref t, ref t.Flags));
    }

    [Fact]
    public void Single_phase_transfer_moves_posted_balances_and_timestamps_items()
    {
        var h = Standard();
        var stampTs = h.Timestamp + 3;
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], h.CreateTransfers(Tx(10, 1, 2, 250), Tx(11, 2, 6, 50)));
        Assert.Equal(250, h.Get(1).DebitsPosted);
        Assert.Equal(200, h.Get(2).CreditsPosted - h.Get(2).DebitsPosted);
        Assert.True(h.Machine.TryGetTransfer(10, out var t10));
        Assert.True(h.Machine.TryGetTransfer(11, out var t11));
        Assert.Equal(stampTs - 1, t10.Timestamp); // item i of n: stamp − n + i + 1
        Assert.Equal(stampTs, t11.Timestamp);
        LedgerInvariants.Check(h.Machine);
    }

    [Fact]
    public void Two_phase_post_full_amount_when_amount_is_zero()
    {
        var h = Standard();
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(20, 1, 2, 100, flags: Pending)));
        Assert.Equal((100, 0), (h.Get(1).DebitsPending, h.Get(1).DebitsPosted));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Post(21, 20)));
        Assert.Equal((0, 100), (h.Get(1).DebitsPending, h.Get(1).DebitsPosted));
        Assert.Equal((0, 100), (h.Get(2).CreditsPending, h.Get(2).CreditsPosted));
        Assert.True(h.Machine.TryGetTransfer(20, out _, out var state));
        Assert.Equal(TransferState.Posted, state);
        Assert.True(h.Machine.TryGetTransfer(21, out var post));
        Assert.Equal((100L, (UInt128)1, (uint)1), (post.Amount, post.DebitAccountId, post.Ledger)); // inherited fields are stored resolved
        Assert.Contains(h.Events, e => e.StartsWith("post 21:", StringComparison.Ordinal));
        LedgerInvariants.Check(h.Machine);
    }

    [Fact]
    public void Two_phase_partial_post_releases_the_remainder()
    {
        var h = Standard();
        h.Transfer1(Tx(20, 1, 2, 100, flags: Pending));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Post(21, 20, amount: 30)));
        Assert.Equal((0, 30), (h.Get(1).DebitsPending, h.Get(1).DebitsPosted));
        Assert.Equal((0, 30), (h.Get(2).CreditsPending, h.Get(2).CreditsPosted));
        Assert.Equal(ResultCode.PendingTransferAlreadyPosted, h.Transfer1(Post(22, 20, amount: 30)));
        LedgerInvariants.Check(h.Machine);
    }

    [Fact]
    public void Void_releases_the_hold()
    {
        var h = Standard();
        h.Transfer1(Tx(20, 1, 2, 100, flags: Pending));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Void(21, 20, amount: 100)));
        Assert.Equal((0, 0), (h.Get(1).DebitsPending, h.Get(1).DebitsPosted));
        Assert.Equal(0, h.Machine.PendingTransferCount);
        Assert.Equal(ResultCode.PendingTransferAlreadyVoided, h.Transfer1(Void(22, 20)));
    }

    [Fact]
    public void Pending_hold_counts_against_no_overdraft_limit()
    {
        var h = Standard();
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(10, 1, 4, 100)));              // fund wallet 4
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(20, 4, 2, 80, flags: Pending)));
        Assert.Equal(ResultCode.ExceedsCredits, h.Transfer1(Tx(11, 4, 2, 21)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(12, 4, 2, 20)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Void(21, 20)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(13, 4, 2, 80)));
        Assert.Equal(0, h.Get(4).CreditsPosted - h.Get(4).DebitsPosted);
    }

    [Fact]
    public void Pending_expires_by_log_time_only_and_emits_an_event()
    {
        var h = Standard();
        h.Transfer1(Tx(20, 1, 2, 100, flags: Pending, timeoutSeconds: 5));
        h.Tick(4 * Second);
        Assert.Equal(100, h.Get(1).DebitsPending);
        h.Tick(1 * Second);
        Assert.Equal(0, h.Get(1).DebitsPending);
        Assert.Equal(0, h.Get(2).CreditsPending);
        Assert.Single(h.Events, e => e.StartsWith("expired 20:", StringComparison.Ordinal));
        Assert.True(h.Machine.TryGetTransfer(20, out _, out var state));
        Assert.Equal(TransferState.Expired, state);
        Assert.Equal(ResultCode.PendingTransferExpired, h.Transfer1(Post(21, 20)));
        Assert.Equal(ResultCode.PendingTransferExpired, h.Transfer1(Void(22, 20)));
        LedgerInvariants.Check(h.Machine);
    }

    [Fact]
    public void Expiry_order_is_by_deadline_then_id()
    {
        var h = Standard();
        h.CreateTransfers(Tx(32, 1, 2, 1, flags: Pending, timeoutSeconds: 2), Tx(31, 1, 2, 1, flags: Pending, timeoutSeconds: 1),
            Tx(30, 1, 2, 1, flags: Pending, timeoutSeconds: 3));
        h.Tick(10 * Second);
        var expired = h.Events.Where(e => e.StartsWith("expired", StringComparison.Ordinal)).Select(e => e.Split(' ')[1].Split(':')[0]).ToArray();
        Assert.Equal(["31", "32", "30"], expired);
    }

    [Fact]
    public void Linked_chain_failure_rolls_back_everything_including_pending_and_post()
    {
        var h = Standard();
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(9, 1, 4, 50)));
        var events = h.Events.Count;
        var codes = h.CreateTransfers(
            Tx(10, 1, 2, 10, flags: Linked),
            Tx(20, 4, 2, 40, flags: Pending | Linked, timeoutSeconds: 1),
            Post(21, 20, amount: 15, extra: Linked),
            Tx(11, 4, 6, 36, flags: Linked),  // 4 has 50 − 15 posted: 36 exceeds
            Tx(12, 2, 6, 1),                 // end of chain: never executed
            Tx(13, 2, 6, 1));                // independent: executes
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.ExceedsCredits,
            ResultCode.LinkedEventFailed, ResultCode.Ok], codes);
        Assert.False(h.Machine.TryGetTransfer(10, out _));
        Assert.False(h.Machine.TryGetTransfer(20, out _));
        Assert.False(h.Machine.TryGetTransfer(21, out _));
        Assert.Equal(0, h.Machine.PendingTransferCount);
        Assert.Equal(events + 1, h.Events.Count); // only item 5's event
        Assert.Equal(ResultCode.PendingTransferNotPending, h.Transfer1(Void(14, 13)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(15, 6, 2, 1)));
        Assert.Equal(0, h.Get(6).CreditsPosted - h.Get(6).DebitsPosted);
        Assert.Equal(50, h.Get(4).CreditsPosted);
        Assert.Equal(0, h.Get(4).DebitsPosted);
        LedgerInvariants.Check(h.Machine);
        h.Tick(5 * Second); // the rolled-back pending must not expire later
        Assert.DoesNotContain(h.Events, e => e.StartsWith("expired", StringComparison.Ordinal));
    }

    [Fact]
    public void Failed_chain_leaves_state_bit_identical()
    {
        var h = Standard();
        h.Transfer1(Tx(9, 1, 4, 50));
        h.Transfer1(Tx(19, 1, 2, 30, flags: Pending));
        var before = h.Machine.ComputeDigestWithoutStamp();
        var events = h.Events.Count;
        var codes = h.CreateTransfers(Tx(10, 1, 2, 10, flags: Linked), Post(21, 19, extra: Linked), Tx(22, 4, 2, 5, flags: Linked | Pending), Tx(11, 1, 1, 5));
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.AccountsMustBeDifferent], codes);
        Assert.Equal(before, h.Machine.ComputeDigestWithoutStamp());
        Assert.Equal(events, h.Events.Count);
        Assert.Equal(ResultCode.Ok, h.Transfer1(Post(21, 19))); // the hold is intact after rollback
    }

    [Fact]
    public void Linked_accounts_roll_back_and_chain_open_is_reported()
    {
        var h = Standard();
        var codes = h.CreateAccounts(Acc(10, flags: AccountFlags.Linked), Acc(11, flags: AccountFlags.Linked), Acc(12, ledger: 99), Acc(13, flags: AccountFlags.Linked));
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.LinkedEventFailed, ResultCode.LedgerNotConfigured, ResultCode.LinkedEventChainOpen], codes);
        Assert.Equal(7, h.Machine.AccountCount);
        Assert.False(h.Machine.TryGetAccount(10, out _));
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], h.CreateAccounts(Acc(10, flags: AccountFlags.Linked), Acc(11)));
        Assert.Equal(AccountFlags.None, h.Get(10).Flags); // Linked is not stored
    }

    [Fact]
    public void Successful_chain_emits_events_in_order_after_commit()
    {
        var h = Standard();
        var events = h.Events.Count;
        Assert.Equal([ResultCode.Ok, ResultCode.Ok], h.CreateTransfers(Tx(10, 1, 2, 10, flags: Linked), Tx(11, 2, 6, 10)));
        Assert.Equal(events + 2, h.Events.Count);
        Assert.StartsWith("posted 10:", h.Events[^2], StringComparison.Ordinal);
        Assert.Contains("1[dp=0,dP=10", h.Events[^2], StringComparison.Ordinal);
        Assert.StartsWith("posted 11:", h.Events[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Idempotent_repeat_returns_exists_and_changes_nothing()
    {
        var h = Standard();
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(10, 1, 2, 10)));
        var before = h.Machine.ComputeDigestWithoutStamp();
        Assert.Equal(ResultCode.Exists, h.Transfer1(Tx(10, 1, 2, 10)));
        Assert.Equal([ResultCode.Exists, ResultCode.LinkedEventFailed], h.CreateTransfers(Tx(10, 1, 2, 10, flags: Linked), Tx(11, 1, 2, 10)));
        Assert.Equal(ResultCode.ExistsWithDifferentUserData64, h.Transfer1(Tx(10, 1, 2, 10) with { UserData64 = 3 }));
        Assert.Equal(ResultCode.ExistsWithDifferentCode, h.Transfer1(Tx(10, 1, 2, 10, code: 2)));
        Assert.Equal(ResultCode.ExistsWithDifferentFlags, h.Transfer1(Tx(10, 1, 2, 10, flags: Pending)));
        Assert.Equal(before, h.Machine.ComputeDigestWithoutStamp());
    }

    [Fact]
    public void Post_repeat_with_inherited_fields_is_exists()
    {
        var h = Standard();
        h.Transfer1(Tx(20, 1, 2, 100, flags: Pending));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Post(21, 20)));
        Assert.Equal(ResultCode.Exists, h.Transfer1(Post(21, 20)));
        Assert.Equal(ResultCode.Exists, h.Transfer1(Post(21, 20, amount: 100) with { DebitAccountId = 1, Ledger = 1 }));
        Assert.Equal(ResultCode.ExistsWithDifferentAmount, h.Transfer1(Post(21, 20, amount: 99)));
    }

    [Fact]
    public void Failed_transfers_are_not_stored_so_a_retry_can_succeed()
    {
        var h = Standard();
        Assert.Equal(ResultCode.ExceedsCredits, h.Transfer1(Tx(10, 4, 2, 5)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(11, 1, 4, 5)));
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(10, 4, 2, 5)));
    }

    [Fact]
    public void Retention_window_by_count_forgets_old_ids_but_keeps_live_holds()
    {
        var h = Standard(retentionCount: 2);
        h.Transfer1(Tx(20, 1, 2, 7, flags: Pending));
        h.CreateTransfers(Tx(10, 1, 2, 1), Tx(11, 1, 2, 1), Tx(12, 1, 2, 1));
        h.Tick(1);
        Assert.False(h.Machine.TryGetTransfer(10, out _));
        Assert.True(h.Machine.TryGetTransfer(20, out _, out var state)); // evicted from the window, still pending
        Assert.Equal(TransferState.Pending, state);
        Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(10, 1, 2, 1)));      // outside the window: treated as new
        Assert.Equal(ResultCode.Ok, h.Transfer1(Post(21, 20)));
        h.Tick(1);
        Assert.False(h.Machine.TryGetTransfer(20, out _));               // resolved evicted hold is dropped
        LedgerInvariants.Check(h.Machine);
    }

    [Fact]
    public void Failed_chain_that_resolved_an_evicted_hold_keeps_the_hold()
    {
        var h = Standard(retentionCount: 1);
        h.Transfer1(Tx(20, 1, 2, 7, flags: Pending));
        h.CreateTransfers(Tx(10, 1, 2, 1), Tx(11, 1, 2, 1));
        h.Tick(1); // 20 leaves the window while pending
        Assert.Equal([ResultCode.LinkedEventFailed, ResultCode.AccountsMustBeDifferent], h.CreateTransfers(Post(21, 20, extra: Linked), Tx(12, 1, 1, 5)));
        h.Tick(1);
        Assert.True(h.Machine.TryGetTransfer(20, out _, out var state));
        Assert.Equal(TransferState.Pending, state);
        Assert.Equal(7, h.Get(1).DebitsPending);
        Assert.Equal(ResultCode.Ok, h.Transfer1(Post(22, 20)));
        LedgerInvariants.Check(h.Machine);
    }

    [Fact]
    public void Retention_window_by_log_time()
    {
        var h = Standard(retentionNs: 10 * Second);
        h.Transfer1(Tx(10, 1, 2, 1));
        h.Tick(5 * Second);
        Assert.Equal(ResultCode.Exists, h.Transfer1(Tx(10, 1, 2, 1)));
        h.Tick(6 * Second);
        Assert.False(h.Machine.TryGetTransfer(10, out _));
    }

    [Fact]
    public void Evicted_hold_still_expires()
    {
        var h = Standard(retentionCount: 1);
        h.Transfer1(Tx(20, 1, 2, 7, flags: Pending, timeoutSeconds: 1));
        h.CreateTransfers(Tx(10, 1, 2, 1), Tx(11, 1, 2, 1));
        h.Tick(2 * Second);
        Assert.Equal(0, h.Get(1).DebitsPending);
        Assert.False(h.Machine.TryGetTransfer(20, out _));
        LedgerInvariants.Check(h.Machine);
    }

    [Fact]
    public void Closed_accounts_refuse_transfers_and_cannot_close_with_holds()
    {
        var h = Standard();
        h.Transfer1(Tx(20, 1, 6, 5, flags: Pending));
        Assert.Equal([ResultCode.AccountHasPendingTransfers], h.Close(6));
        h.Transfer1(Void(21, 20));
        Assert.Equal([ResultCode.Ok, ResultCode.AccountAlreadyClosed], h.Close(6, 6));
        Assert.True((h.Get(6).Flags & AccountFlags.Closed) != 0);
        Assert.Equal(ResultCode.CreditAccountClosed, h.Transfer1(Tx(10, 1, 6, 1)));
        Assert.Equal(ResultCode.Exists, h.Account1(Acc(6)));
        Assert.Single(h.Events, e => e.StartsWith("closed 6", StringComparison.Ordinal));
    }

    [Fact]
    public void Non_increasing_stamp_is_a_sequencer_bug_and_changes_nothing()
    {
        var h = Standard();
        var digest = h.Machine.ComputeDigest();
        var results = new CreateResult[1];
        var sink = new NullLedgerEventSink();
        var payload = MemoryMarshal.AsBytes(new[] { Tx(10, 1, 2, 1) }.AsSpan()).ToArray();
        Assert.Throws<InvalidOperationException>(() => h.Machine.Execute(new CommandStamp(h.Index + 1, 1, h.Machine.LastTimestamp + 1), CommandKind.CreateTransfers, payload, results, ref sink));
        Assert.Throws<InvalidOperationException>(() => h.Machine.Execute(new CommandStamp(h.Index, 1, h.Machine.LastTimestamp + 10), CommandKind.CreateTransfers, payload, results, ref sink));
        Assert.Throws<ArgumentException>(() => h.Machine.Execute(new CommandStamp(h.Index + 1, 1, h.Machine.LastTimestamp + 10), CommandKind.CreateTransfers, payload, Span<CreateResult>.Empty, ref sink));
        Assert.Equal(digest, h.Machine.ComputeDigest());
    }

    [Fact]
    public void Malformed_command_applies_nothing_but_advances_time()
    {
        var h = Standard();
        h.Transfer1(Tx(20, 1, 2, 5, flags: Pending, timeoutSeconds: 1));
        h.Advance(2 * Second);
        var r = h.Execute(CommandKind.CreateTransfers, new byte[Transfer.SizeBytes + 1]);
        Assert.Equal([new CreateResult(0, ResultCode.MalformedPayload)], r);
        Assert.Equal(0, h.Get(1).DebitsPending); // expired on the way
        Assert.Equal(h.Timestamp, h.Machine.LastTimestamp);
        Assert.Equal([new CreateResult(0, ResultCode.MalformedPayload)], h.Execute(CommandKind.Tick, new byte[1]));
    }

    [Fact]
    public void Digest_detects_any_balance_difference_and_ignores_history_shape()
    {
        var a = Standard();
        var b = Standard();
        Assert.Equal(a.Machine.ComputeDigest(), b.Machine.ComputeDigest());
        a.Transfer1(Tx(10, 1, 2, 5));
        b.Transfer1(Tx(10, 1, 2, 6));
        Assert.NotEqual(a.Machine.ComputeDigest(), b.Machine.ComputeDigest());
        Assert.Equal(a.Machine.ComputeDigest(), a.Machine.CaptureImage().ComputeDigest());
    }

    [Fact]
    public void Hot_path_allocates_nothing_after_warm_up()
    {
        var machine = new LedgerStateMachine(LedgerHarness.Options(maxAccounts: 16, maxBatchSize: 128, retentionCount: 4096));
        var sink = new NullLedgerEventSink();
        var results = new CreateResult[128];
        var accounts = MemoryMarshal.AsBytes(new[] { Acc(1), Acc(2) }.AsSpan()).ToArray();
        var ts = StartTimestamp;
        long index = 0;
        machine.Execute(new CommandStamp(++index, 1, ts += 10), CommandKind.CreateAccounts, accounts, results, ref sink);
        var batch = new Transfer[128];
        var bytes = new byte[128 * Transfer.SizeBytes];
        UInt128 nextId = 1;
        void Run(LedgerStateMachine m, ref long i, ref long t, ref UInt128 id, ref NullLedgerEventSink s)
        {
            for (var k = 0; k < batch.Length; k++)
            {
                batch[k] = k % 4 == 3 ? Post(id++, id - 2) : Tx(id++, 1, 2, 3, flags: k % 4 == 2 ? Pending : TransferFlags.None, timeoutSeconds: k % 4 == 2 ? 1u : 0u);
                if (k % 8 == 5) batch[k].Flags |= Linked;
            }

            MemoryMarshal.AsBytes(batch.AsSpan()).CopyTo(bytes);
            var n = m.Execute(new CommandStamp(++i, 1, t += 1000), CommandKind.CreateTransfers, bytes, results, ref s);
            if (n != 128) throw new InvalidOperationException("short batch");
        }

        for (var w = 0; w < 200; w++) Run(machine, ref index, ref ts, ref nextId, ref sink); // warm-up: fill the window to capacity
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var w = 0; w < 50; w++) Run(machine, ref index, ref ts, ref nextId, ref sink);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.All(results, r => Assert.Equal(ResultCode.Ok, r.Code));
        LedgerInvariants.Check(machine);
    }
}
