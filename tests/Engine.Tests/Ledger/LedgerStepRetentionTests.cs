using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>
/// Saga steps older than the idempotency window: once a partition has forgotten a step of saga S (it left the window),
/// a step of any saga ≤ S that is not stored may be a late retry of one that applied — it is refused
/// (<see cref="ResultCode.StepOutcomeForgotten"/>), every copy, instead of applying twice or being fenced as absent.
/// </summary>
public sealed class LedgerStepRetentionTests
{
    private const int Window = 4;
    private static readonly UInt128 Clearing = SystemIds.ClearingAccountId(1, 0);

    private static UInt128 Step(ulong saga, int step) => SystemIds.StepTransferId(saga, step);

    private static ResultCode[] System(LedgerHarness h, params Transfer[] transfers) =>
        Array.ConvertAll(h.Execute(CommandKind.SystemTransfers, MemoryMarshal.AsBytes(transfers.AsSpan())), r => r.Code);

    private static LedgerHarness WithClearing()
    {
        var h = Standard(retentionCount: Window);
        var accounts = new[] { Acc(Clearing) };
        Assert.Equal(ResultCode.Ok, h.Execute(CommandKind.SystemCreateAccounts, MemoryMarshal.AsBytes(accounts.AsSpan()))[0].Code);
        return h;
    }

    /// <summary>Client transfers 1 → 2 of one unit each, enough to push everything older out of the window.</summary>
    private static void Churn(LedgerHarness h, ref ulong nextId)
    {
        for (var i = 0; i < Window + 1; i++) Assert.Equal(ResultCode.Ok, h.Transfer1(Tx(nextId++, 1, 2, 1)));
    }

    internal static ResultCode ForgottenStepCode()
    {
        var h = WithClearing();
        ulong next = 1000;
        Assert.Equal([ResultCode.Ok], System(h, Tx(Step(5, 2), Clearing, 6, 700)));
        Churn(h, ref next);
        return System(h, Tx(Step(5, 2), Clearing, 6, 700))[0];
    }

    [Fact]
    public void A_saga_credit_retried_after_the_window_forgot_it_is_refused_not_applied_twice()
    {
        var h = WithClearing();
        ulong next = 1000;
        // Saga 5's credit (Saga mode: posted clearing → 6) applies; its answer is "lost".
        Assert.Equal([ResultCode.Ok], System(h, Tx(Step(5, 2), Clearing, 6, 700)));
        Assert.Equal(0UL, h.Machine.ForgottenSagaHighWater);
        Churn(h, ref next);
        Assert.Equal(5UL, h.Machine.ForgottenSagaHighWater);
        Assert.False(h.Machine.TryGetTransfer(Step(5, 2), out _, out _));
        h.Tick(1); // settles the window at its bound, so the refused commands below evict nothing either

        // The sequencer's late retry: without the guard this would credit account 6 a second time.
        var before = h.Machine.ComputeDigestWithoutStamp();
        Assert.Equal([ResultCode.StepOutcomeForgotten], System(h, Tx(Step(5, 2), Clearing, 6, 700)));
        // Nor may the compensation fence it as absent (it applied): same answer, nothing recorded.
        Assert.Equal([ResultCode.StepOutcomeForgotten], System(h, Void(Step(5, 6), Step(5, 2), extra: TransferFlags.FenceIfAbsent)));
        Assert.Equal(before, h.Machine.ComputeDigestWithoutStamp());
        Assert.Equal(700, h.Get(6).CreditsPosted);

        // Older sagas fall under the same mark (a step of saga 3 not stored may have been forgotten too); later ones do not.
        Assert.Equal([ResultCode.StepOutcomeForgotten], System(h, Tx(Step(3, 1), 1, Clearing, 10, flags: TransferFlags.Pending)));
        Assert.Equal([ResultCode.Ok], System(h, Tx(Step(6, 1), 1, Clearing, 10, flags: TransferFlags.Pending)));
    }

    [Fact]
    public void A_hold_still_pending_is_posted_or_voided_whatever_the_mark()
    {
        var h = WithClearing();
        ulong next = 1000;
        Assert.Equal([ResultCode.Ok], System(h, Tx(Step(5, 1), 1, Clearing, 300, flags: TransferFlags.Pending)));
        Assert.Equal([ResultCode.Ok], System(h, Tx(Step(9, 1), 2, Clearing, 40, flags: TransferFlags.Pending)));
        // A later saga's settled step leaves the window: the mark passes both open sagas.
        Assert.Equal([ResultCode.Ok], System(h, Tx(Step(12, 2), Clearing, 7, 1)));
        Churn(h, ref next);
        Assert.Equal(12UL, h.Machine.ForgottenSagaHighWater);

        // The holds left the window but are live, hence stored: their post and void proceed (no false refusal).
        Assert.Equal([ResultCode.Ok], System(h, Post(Step(5, 3), Step(5, 1))));
        Assert.Equal([ResultCode.Ok], System(h, Void(Step(9, 5), Step(9, 1), extra: TransferFlags.FenceIfAbsent)));
        Assert.Equal(300, h.Get(1).DebitsPosted - (Window + 1));
        Assert.Equal(0, h.Get(2).DebitsPending);

        // Resolved evicted holds are forgotten at once; a late repeat of the post is refused, not "not found".
        Assert.False(h.Machine.TryGetTransfer(Step(5, 1), out _, out _));
        Assert.Equal([ResultCode.Exists], System(h, Post(Step(5, 3), Step(5, 1))));
        Churn(h, ref next);
        Assert.Equal([ResultCode.StepOutcomeForgotten], System(h, Post(Step(5, 3), Step(5, 1))));
        Assert.Equal(300, h.Get(1).DebitsPosted - 2 * (Window + 1));
    }

    [Fact]
    public void A_forgotten_fence_still_refuses_its_late_try()
    {
        var h = WithClearing();
        ulong next = 1000;
        // The cancel overtook the try: the fence is recorded; then the fence itself leaves the window.
        Assert.Equal([ResultCode.Ok], System(h, Void(Step(8, 5), Step(8, 1), extra: TransferFlags.FenceIfAbsent)));
        Churn(h, ref next);
        Assert.Equal(8UL, h.Machine.ForgottenSagaHighWater);
        // Without the mark the very late try would now hold funds for a saga that was cancelled long ago.
        Assert.Equal([ResultCode.StepOutcomeForgotten], System(h, Tx(Step(8, 1), 1, Clearing, 10, flags: TransferFlags.Pending)));
        Assert.Equal(0, h.Get(1).DebitsPending);
    }

    [Fact]
    public void The_mark_survives_a_snapshot_and_a_state_without_one_keeps_its_old_bytes()
    {
        var h = WithClearing();
        ulong next = 1000;
        using (var plain = new MemoryStream())
        {
            h.Machine.WriteState(plain);
            // Offsets 52..63 of the header were reserved zeros before the mark existed; a state with no mark keeps them.
            Assert.All(plain.ToArray().AsSpan(52, 12).ToArray(), b => Assert.Equal(0, b));
        }

        Assert.Equal([ResultCode.Ok], System(h, Tx(Step(0x1_0000_0001, 2), Clearing, 6, 5)));
        Churn(h, ref next);
        Assert.Equal(0x1_0000_0001UL, h.Machine.ForgottenSagaHighWater);
        using var state = new MemoryStream();
        h.Machine.WriteState(state);
        state.Position = 0;
        var restored = LedgerStateMachine.Restore(Options(retentionCount: Window), state);
        Assert.Equal(h.Machine.ForgottenSagaHighWater, restored.ForgottenSagaHighWater);
        Assert.Equal(h.Machine.ComputeDigest(), restored.ComputeDigest());
        var again = new LedgerHarness(restored);
        Assert.Equal([ResultCode.StepOutcomeForgotten], System(again, Tx(Step(0x1_0000_0001, 2), Clearing, 6, 5)));

        // The copy-on-write capture carries it too.
        var capture = h.Machine.BeginCapture(reuse: null);
        capture.CopyAll();
        h.Machine.ReleaseCompletedCapture();
        Assert.Equal(h.Machine.ComputeDigest(), capture.ComputeDigest());
        Assert.Equal(0x1_0000_0001UL, capture.ToImage().ForgottenSagaHighWater);

        // The four bytes still reserved must stay zero.
        var bytes = state.ToArray();
        bytes[52] = 1;
        Assert.Throws<InvalidDataException>(() => LedgerStateMachine.Restore(Options(retentionCount: Window), new MemoryStream(bytes)));
    }

    [Fact]
    public void Client_transfers_never_move_the_mark()
    {
        var h = Standard(retentionCount: Window);
        ulong next = 1000;
        Churn(h, ref next);
        Churn(h, ref next);
        Assert.Equal(0UL, h.Machine.ForgottenSagaHighWater);
    }
}
