using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Ledger;

/// <summary>One scenario per result code; a coverage test fails if a code has no scenario.</summary>
public sealed class LedgerResultCodeTests
{
    private const long Max = long.MaxValue;
    private const TransferFlags Pending = TransferFlags.Pending;
    private const TransferFlags Linked = TransferFlags.Linked;

    private static readonly Dictionary<ResultCode, Func<ResultCode>> Scenarios = new()
    {
        [ResultCode.Ok] = () => Standard().Account1(Acc(10)),
        [ResultCode.LinkedEventFailed] = () => Standard().CreateTransfers(Tx(10, 1, 2, 5, flags: Linked), Tx(11, 1, 2, 0))[0],
        [ResultCode.LinkedEventChainOpen] = () => Standard().CreateTransfers(Tx(10, 1, 2, 5, flags: Linked))[0],
        [ResultCode.TimestampMustBeZero] = () => Standard().Account1(Acc(10) with { Timestamp = 5 }),
        [ResultCode.ReservedFlag] = () => Standard().Account1(Acc(10, flags: (AccountFlags)(1 << 10))),
        [ResultCode.ReservedField] = () => Standard().Account1(Acc(10) with { Reserved3 = 1 }),
        [ResultCode.IdMustNotBeZero] = () => Standard().Account1(Acc(0)),
        [ResultCode.IdMustNotBeIntMax] = () => Standard().Account1(Acc(UInt128.MaxValue)),
        [ResultCode.FlagsAreMutuallyExclusive] = () => Standard().Account1(Acc(10, flags: AccountFlags.DebitsMustNotExceedCredits | AccountFlags.CreditsMustNotExceedDebits)),
        [ResultCode.LedgerMustNotBeZero] = () => Standard().Account1(Acc(10, ledger: 0)),
        [ResultCode.LedgerNotConfigured] = () => Standard().Account1(Acc(10, ledger: 99)),
        [ResultCode.CodeMustNotBeZero] = () => Standard().Account1(Acc(10, code: 0)),
        [ResultCode.Exists] = () => Standard().Account1(Acc(1)),
        [ResultCode.ExistsWithDifferentFlags] = () => Standard().Account1(Acc(1, flags: AccountFlags.History)),
        [ResultCode.ExistsWithDifferentUserData128] = () => Standard().Account1(Acc(1) with { UserData128 = 1 }),
        [ResultCode.ExistsWithDifferentUserData64] = () => Standard().Account1(Acc(1) with { UserData64 = 1 }),
        [ResultCode.ExistsWithDifferentUserData32] = () => Standard().Account1(Acc(1) with { UserData32 = 1 }),
        [ResultCode.ExistsWithDifferentLedger] = () => Standard().Account1(Acc(1, ledger: 2)),
        [ResultCode.ExistsWithDifferentCode] = () => Standard().Account1(Acc(1, code: 2)),
        [ResultCode.MalformedPayload] = () => Standard().Execute(CommandKind.CreateTransfers, new byte[100])[0].Code,
        [ResultCode.BatchTooLarge] = () => Standard().Execute(CommandKind.CreateTransfers, new byte[65 * Transfer.SizeBytes])[0].Code,
        [ResultCode.UnknownCommand] = () => Standard().Execute((CommandKind)99, new byte[16])[0].Code,
        [ResultCode.DebitsPendingMustBeZero] = () => Standard().Account1(Acc(10) with { DebitsPending = 1 }),
        [ResultCode.DebitsPostedMustBeZero] = () => Standard().Account1(Acc(10) with { DebitsPosted = 1 }),
        [ResultCode.CreditsPendingMustBeZero] = () => Standard().Account1(Acc(10) with { CreditsPending = 1 }),
        [ResultCode.CreditsPostedMustBeZero] = () => Standard().Account1(Acc(10) with { CreditsPosted = 1 }),
        [ResultCode.ClosedFlagMustNotBeSet] = () => Standard().Account1(Acc(10, flags: AccountFlags.Closed)),
        [ResultCode.AccountsLimitReached] = () => Standard(maxAccounts: 8).CreateAccounts(Acc(10), Acc(11))[1],
        [ResultCode.DebitAccountIdMustNotBeZero] = () => Standard().Transfer1(Tx(10, 0, 2, 5)),
        [ResultCode.DebitAccountIdMustNotBeIntMax] = () => Standard().Transfer1(Tx(10, UInt128.MaxValue, 2, 5)),
        [ResultCode.CreditAccountIdMustNotBeZero] = () => Standard().Transfer1(Tx(10, 1, 0, 5)),
        [ResultCode.CreditAccountIdMustNotBeIntMax] = () => Standard().Transfer1(Tx(10, 1, UInt128.MaxValue, 5)),
        [ResultCode.AccountsMustBeDifferent] = () => Standard().Transfer1(Tx(10, 1, 1, 5)),
        [ResultCode.PendingIdMustBeZero] = () => Standard().Transfer1(Tx(10, 1, 2, 5, pendingId: 3)),
        [ResultCode.PendingIdMustNotBeZero] = () => Standard().Transfer1(Post(10, 0)),
        [ResultCode.PendingIdMustNotBeIntMax] = () => Standard().Transfer1(Post(10, UInt128.MaxValue)),
        [ResultCode.PendingIdMustBeDifferent] = () => Standard().Transfer1(Post(10, 10)),
        [ResultCode.TimeoutReservedForPendingTransfer] = () => Standard().Transfer1(Tx(10, 1, 2, 5, timeoutSeconds: 5)),
        [ResultCode.AmountMustNotBeZero] = () => Standard().Transfer1(Tx(10, 1, 2, 0)),
        [ResultCode.AmountMustNotBeNegative] = () => Standard().Transfer1(Tx(10, 1, 2, -5)),
        [ResultCode.DebitAccountNotFound] = () => Standard().Transfer1(Tx(10, 99, 2, 5)),
        [ResultCode.CreditAccountNotFound] = () => Standard().Transfer1(Tx(10, 1, 99, 5)),
        [ResultCode.AccountsMustHaveTheSameLedger] = () => Standard().Transfer1(Tx(10, 1, 3, 5)),
        [ResultCode.TransferMustHaveTheSameLedgerAsAccounts] = () => Standard().Transfer1(Tx(10, 1, 2, 5, ledger: 2)),
        [ResultCode.DebitAccountClosed] = () => Closed6().Transfer1(Tx(10, 6, 1, 5)),
        [ResultCode.CreditAccountClosed] = () => Closed6().Transfer1(Tx(10, 1, 6, 5)),
        [ResultCode.PendingTransferNotFound] = () => Standard().Transfer1(Post(10, 77)),
        [ResultCode.PendingTransferNotPending] = () => Then(Standard(), Tx(20, 1, 2, 5)).Transfer1(Post(10, 20)),
        [ResultCode.PendingTransferHasDifferentDebitAccountId] = () => WithPending().Transfer1(Post(10, 20) with { DebitAccountId = 6 }),
        [ResultCode.PendingTransferHasDifferentCreditAccountId] = () => WithPending().Transfer1(Post(10, 20) with { CreditAccountId = 6 }),
        [ResultCode.PendingTransferHasDifferentLedger] = () => WithPending().Transfer1(Post(10, 20) with { Ledger = 2 }),
        [ResultCode.PendingTransferHasDifferentCode] = () => WithPending().Transfer1(Post(10, 20) with { Code = 9 }),
        [ResultCode.PendingTransferHasDifferentAmount] = () => WithPending().Transfer1(Void(10, 20, amount: 50)),
        [ResultCode.ExceedsPendingTransferAmount] = () => WithPending().Transfer1(Post(10, 20, amount: 101)),
        [ResultCode.PendingTransferAlreadyPosted] = () => Then(WithPending(), Post(10, 20)).Transfer1(Post(11, 20)),
        [ResultCode.PendingTransferAlreadyVoided] = () => Then(WithPending(), Void(10, 20)).Transfer1(Post(11, 20)),
        [ResultCode.PendingTransferExpired] = () => Expired20().Transfer1(Post(10, 20)),
        [ResultCode.ExistsWithDifferentDebitAccountId] = () => Then(Standard(), Tx(10, 1, 2, 5)).Transfer1(Tx(10, 6, 2, 5)),
        [ResultCode.ExistsWithDifferentCreditAccountId] = () => Then(Standard(), Tx(10, 1, 2, 5)).Transfer1(Tx(10, 1, 6, 5)),
        [ResultCode.ExistsWithDifferentAmount] = () => Then(Standard(), Tx(10, 1, 2, 5)).Transfer1(Tx(10, 1, 2, 6)),
        [ResultCode.ExistsWithDifferentPendingId] = () => Then(Then(WithPending(), Tx(21, 1, 2, 7, flags: Pending)), Post(10, 20)).Transfer1(Post(10, 21)),
        [ResultCode.ExistsWithDifferentTimeout] = () => Then(Standard(), Tx(10, 1, 2, 5, flags: Pending, timeoutSeconds: 5)).Transfer1(Tx(10, 1, 2, 5, flags: Pending, timeoutSeconds: 6)),
        [ResultCode.OverflowsDebitsPending] = () => Then(Standard(), Tx(20, 1, 2, Max, flags: Pending)).Transfer1(Tx(10, 1, 6, 1, flags: Pending)),
        [ResultCode.OverflowsCreditsPending] = () => Then(Standard(), Tx(20, 1, 2, Max, flags: Pending)).Transfer1(Tx(10, 6, 2, 1, flags: Pending)),
        [ResultCode.OverflowsDebitsPosted] = () => Then(Standard(), Tx(20, 1, 2, Max)).Transfer1(Tx(10, 1, 6, 1)),
        [ResultCode.OverflowsCreditsPosted] = () => Then(Standard(), Tx(20, 1, 2, Max)).Transfer1(Tx(10, 6, 2, 1)),
        [ResultCode.OverflowsDebits] = () => Then(Standard(), Tx(20, 1, 2, Max, flags: Pending)).Transfer1(Tx(10, 1, 6, 1)),
        [ResultCode.OverflowsCredits] = () => Then(Standard(), Tx(20, 1, 2, Max, flags: Pending)).Transfer1(Tx(10, 6, 2, 1)),
        [ResultCode.OverflowsTimeout] = () => FarFuture().Transfer1(Tx(10, 1, 2, 5, flags: Pending, timeoutSeconds: uint.MaxValue)),
        [ResultCode.ExceedsCredits] = () => Standard().Transfer1(Tx(10, 4, 1, 1)),
        [ResultCode.ExceedsDebits] = () => Standard().Transfer1(Tx(10, 1, 5, 1)),
        [ResultCode.PendingTransfersLimitReached] = () => Standard(maxPending: 2).CreateTransfers(Tx(10, 1, 2, 1, flags: Pending), Tx(11, 1, 2, 1, flags: Pending), Tx(12, 1, 2, 1, flags: Pending))[2],
        [ResultCode.AccountNotFound] = () => Standard().Close(99)[0],
        [ResultCode.AccountAlreadyClosed] = () => Closed6().Close(6)[0],
        [ResultCode.AccountHasPendingTransfers] = () => WithPending().Close(1)[0],
        [ResultCode.IdReservedForSystem] = () => Standard().Account1(Acc(SystemIds.StepTransferId(1, 1))),
        [ResultCode.TransferFenced] = () => LedgerSystemCommandTests.FencedTryCode(),
        [ResultCode.AccountLocked] = () => LedgerSystemCommandTests.LockedAccountCode(),
        [ResultCode.StepOutcomeForgotten] = () => LedgerStepRetentionTests.ForgottenStepCode(),
    };

    private static LedgerHarness Then(LedgerHarness h, Transfer t)
    {
        Assert.Equal(ResultCode.Ok, h.Transfer1(t));
        return h;
    }

    /// <summary>Standard accounts plus pending transfer 20: 1 → 2, 100, timeout 10 s.</summary>
    private static LedgerHarness WithPending() => Then(Standard(), Tx(20, 1, 2, 100, flags: Pending, timeoutSeconds: 10));

    private static LedgerHarness Expired20()
    {
        var h = WithPending();
        h.Tick(11 * Second);
        return h;
    }

    private static LedgerHarness Closed6()
    {
        var h = Standard();
        Assert.Equal([ResultCode.Ok], h.Close(6));
        return h;
    }

    private static LedgerHarness FarFuture()
    {
        var h = Standard();
        h.Tick(6_000_000_000_000_000_000 - h.Timestamp);
        return h;
    }

    public static TheoryData<ResultCode> AllCodes()
    {
        var data = new TheoryData<ResultCode>();
        foreach (var code in Enum.GetValues<ResultCode>())
        {
            // 400+ are answered by the saga sequencer (tests/Saga.Tests) or the gateway (tests/Gateway.Tests), never by a partition.
            if ((uint)code < 400) data.Add(code);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllCodes))]
    public void Every_result_code_has_a_scenario_that_produces_it(ResultCode code)
    {
        Assert.True(Scenarios.TryGetValue(code, out var scenario), $"no scenario for {code}");
        Assert.Equal(code, scenario());
    }

    [Fact]
    public void Result_code_wire_values_are_stable()
    {
        Assert.Equal(0u, (uint)ResultCode.Ok);
        Assert.Equal(12u, (uint)ResultCode.Exists);
        Assert.Equal(21u, (uint)ResultCode.BatchTooLarge);
        Assert.Equal(241u, (uint)ResultCode.ExceedsCredits);
        Assert.Equal(302u, (uint)ResultCode.AccountHasPendingTransfers);
        var values = Enum.GetValues<ResultCode>();
        Assert.Equal(values.Length, values.Distinct().Count());
    }

    [Fact]
    public void Failed_items_change_nothing()
    {
        var h = Standard();
        var before = h.Machine.ComputeDigestWithoutStamp();
        var eventsBefore = h.Events.Count;
        // A batch of assorted invalid transfers: each fails, none leaves a trace.
        var codes = h.CreateTransfers(Tx(10, 1, 1, 5), Tx(11, 4, 1, 1), Tx(12, 1, 2, 0), Tx(13, 1, 3, 5), Post(14, 99), Tx(15, 1, 5, 1));
        Assert.DoesNotContain(ResultCode.Ok, codes);
        Assert.Equal(before, h.Machine.ComputeDigestWithoutStamp());
        Assert.Equal(eventsBefore, h.Events.Count);
        Assert.False(h.Machine.TryGetTransfer(11, out _));
    }
}

internal static class LedgerTestExtensions
{
    /// <summary>State digest that ignores the last stamp/command count (which advance even for failed commands).</summary>
    public static string ComputeDigestWithoutStamp(this LedgerStateMachine m)
    {
        var accounts = MemoryMarshal.AsBytes(m.Accounts).ToArray();
        var slots = new List<string>();
        foreach (var s in m.Slots)
        {
            if (s.IsLive) slots.Add($"{s.Transfer.Id}/{s.State}/{s.Transfer.Amount}/{s.Transfer.Timestamp}");
        }

        slots.Sort(StringComparer.Ordinal);
        return Convert.ToHexString(System.IO.Hashing.XxHash128.Hash(accounts)) + "|" + string.Join(",", slots) + "|" + m.PendingTransferCount;
    }
}
