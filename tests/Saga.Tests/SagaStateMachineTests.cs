using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Tests;

/// <summary>The state machine alone: flows, refusals, deadlines, duplicates, snapshot and digest.</summary>
public sealed class SagaStateMachineTests
{
    private const long T0 = 1_700_000_000_000_000_000;
    private static readonly LedgerCatalog Catalog = new([new LedgerDefinition(1, "USD", 2)]);
    private static readonly PartitionMap Map = PartitionMap.Uniform(2);

    private sealed class Harness
    {
        public readonly List<StepSent> Steps = [];
        public readonly List<Completed> Done = [];
        public long Index;
        public long Now = T0;

        public Harness(int maxActive = 8, int retained = 8, long deadlineNs = 1_000)
        {
            Machine = new SagaStateMachine(new SagaOptions { Map = Map, Catalog = Catalog, MaxActiveSagas = maxActive, RetainedCompletedSagas = retained, StepDeadlineNs = deadlineNs });
        }

        public SagaStateMachine Machine { get; }

        public SagaCommandResult Run(SagaCommandKind kind, byte[] payload)
        {
            var sink = new CollectingSink(Steps, Done);
            return Machine.Execute(new CommandStamp(++Index, 1, Now), kind, payload, ref sink);
        }

        public void Begin(Transfer t, SagaMode mode, long correlation = 1)
        {
            var payload = new byte[SagaCommands.BeginSizeBytes];
            SagaCommands.WriteBegin(payload, in t, correlation, mode);
            Assert.Equal(SagaCommandResult.Ok, Run(SagaCommandKind.Begin, payload));
        }

        public void Answer(StepSent step, ResultCode code)
        {
            Assert.True(SagaCommands.TryParseStepId(step.Step.Id, out var saga, out var s));
            var payload = new byte[SagaCommands.OutcomeSizeBytes];
            SagaCommands.WriteOutcome(payload, saga, s, code);
            Assert.Equal(SagaCommandResult.Ok, Run(SagaCommandKind.StepOutcome, payload));
        }

        public void Tick(long advanceNs)
        {
            Now += advanceNs;
            Assert.Equal(SagaCommandResult.Ok, Run(SagaCommandKind.Tick, []));
        }

        public StepSent Take(SagaStep expected)
        {
            var i = Steps.FindIndex(s => (SagaStep)(byte)((ulong)(s.Step.Id >> 64) - SystemIds.StepHighBase) == expected);
            Assert.True(i >= 0, $"no {expected} request among {Steps.Count}");
            var step = Steps[i];
            Steps.RemoveAt(i);
            return step;
        }
    }

    /// <summary>Two accounts in different partitions of the 2-partition map.</summary>
    private static (UInt128 A, UInt128 B) CrossPair()
    {
        UInt128 a = 1;
        for (UInt128 b = 2; ; b++)
        {
            if (Map.PartitionOf(a) != Map.PartitionOf(b)) return (a, b);
        }
    }

    private static Transfer Cross(UInt128 id, long amount = 100, TransferFlags flags = TransferFlags.None)
    {
        var (a, b) = CrossPair();
        return new Transfer { Id = id, DebitAccountId = a, CreditAccountId = b, Amount = amount, Ledger = 1, Code = 1, Flags = flags };
    }

    [Fact]
    public void Saga_mode_holds_credits_then_posts()
    {
        var h = new Harness();
        h.Begin(Cross(10), SagaMode.Saga);
        var hold = h.Take(SagaStep.SourceHold);
        Assert.Equal(Map.PartitionOf(CrossPair().A), hold.Partition);
        Assert.Equal(TransferFlags.Pending, hold.Step.Flags);
        Assert.True(SystemIds.IsClearingAccount(hold.Step.CreditAccountId));
        Assert.Empty(h.Steps);
        h.Answer(hold, ResultCode.Ok);
        var credit = h.Take(SagaStep.DestCredit);
        Assert.Equal(Map.PartitionOf(CrossPair().B), credit.Partition);
        Assert.Equal(TransferFlags.None, credit.Step.Flags);
        Assert.True(SystemIds.IsClearingAccount(credit.Step.DebitAccountId));
        h.Answer(credit, ResultCode.Exists); // a retried credit answered second: done all the same
        var post = h.Take(SagaStep.SourcePost);
        Assert.Equal(hold.Step.Id, post.Step.PendingId);

        // The commit point: the destination holds the credit and our own hold can only be posted, so the client hears
        // Ok now; the saga stays open until the post is answered.
        Assert.Equal(new Completed(1, 1, ResultCode.Ok, h.Now), Assert.Single(h.Done));
        Assert.Equal(1, h.Machine.ActiveCount);
        Assert.True(h.Machine.TryGetSaga(1, out var open) && open.Answered && open.Status == SagaStatus.SourcePosting);

        // A repeat meanwhile gets the decided outcome, not SagaInProgress, and starts nothing.
        h.Begin(Cross(10), SagaMode.Saga, correlation: 2);
        Assert.Equal(new Completed(2, 1, ResultCode.Ok, h.Now), h.Done[^1]);
        Assert.Empty(h.Steps);

        // The post ends the saga without answering the first client a second time.
        h.Answer(post, ResultCode.Ok);
        Assert.Equal(2, h.Done.Count);
        Assert.Equal(0, h.Machine.ActiveCount);
        Assert.True(h.Machine.TryGetSaga(1, out var ended) && ended.Status == SagaStatus.Committed && ended.Answered);
        Assert.Equal(0, h.Machine.Anomalies);

        // The answered flag survives a snapshot round trip (and keeps the digest).
        using var image = new MemoryStream();
        h.Machine.WriteTo(image);
        image.Position = 0;
        var restored = SagaStateMachine.Restore(h.Machine.Options, image);
        Assert.Equal(h.Machine.ComputeDigest(), restored.ComputeDigest());
        Assert.True(restored.TryGetSaga(1, out var back) && back.Answered);
    }

    [Fact]
    public void Saga_mode_answers_once_at_the_commit_point_even_when_the_credit_was_found_by_the_fence()
    {
        var h = new Harness();
        h.Begin(Cross(10), SagaMode.Saga);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.DestCredit), ResultCode.ExceedsCredits); // as if lost: the fence decides
        var fence = h.Take(SagaStep.DestCancel);
        Assert.Empty(h.Done);
        h.Answer(fence, ResultCode.PendingTransferNotPending); // the credit had applied after all
        var post = h.Take(SagaStep.SourcePost);
        Assert.Equal(ResultCode.Ok, Assert.Single(h.Done).Code);
        h.Answer(post, ResultCode.Ok);
        Assert.Single(h.Done);
        Assert.Equal(0, h.Machine.ActiveCount);
    }

    [Fact]
    public void Saga_mode_failed_hold_is_fenced_then_reported()
    {
        var h = new Harness();
        h.Begin(Cross(10), SagaMode.Saga);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.ExceedsCredits);
        var cancel = h.Take(SagaStep.SourceCancel);
        Assert.Equal(TransferFlags.VoidPendingTransfer | TransferFlags.FenceIfAbsent, cancel.Step.Flags);
        Assert.Empty(h.Done);
        h.Answer(cancel, ResultCode.Ok);
        Assert.Equal(ResultCode.ExceedsCredits, Assert.Single(h.Done).Code);
    }

    [Fact]
    public void Saga_mode_failed_credit_is_fenced_and_the_hold_voided()
    {
        var h = new Harness();
        h.Begin(Cross(10), SagaMode.Saga);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.DestCredit), ResultCode.CreditAccountNotFound);
        h.Answer(h.Take(SagaStep.DestCancel), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.SourceCancel), ResultCode.Ok);
        Assert.Equal(ResultCode.CreditAccountNotFound, Assert.Single(h.Done).Code);
    }

    [Fact]
    public void A_credit_whose_outcome_the_partition_forgot_ends_the_saga_as_an_anomaly_with_the_hold_kept()
    {
        // The destination refuses the retried credit and its fence: the step left its idempotency window, so whether
        // the credit applied is unknown. Voiding the hold could create money (if it did); posting it could destroy some
        // (if it did not): the saga ends, counted as an anomaly, the source hold left for an operator to reconcile.
        var h = new Harness();
        h.Begin(Cross(10), SagaMode.Saga);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.DestCredit), ResultCode.StepOutcomeForgotten);
        h.Answer(h.Take(SagaStep.DestCancel), ResultCode.StepOutcomeForgotten);
        Assert.Equal(ResultCode.StepOutcomeForgotten, Assert.Single(h.Done).Code);
        Assert.Empty(h.Steps); // no SourceCancel, no SourcePost
        Assert.Equal(1, h.Machine.Anomalies);
    }

    [Fact]
    public void Saga_mode_credit_that_applied_after_all_goes_forward()
    {
        var h = new Harness();
        h.Begin(Cross(10), SagaMode.Saga);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.Ok);
        h.Tick(2_000); // the credit's answer is late: deadline
        h.Answer(h.Take(SagaStep.DestCancel), ResultCode.PendingTransferNotPending);
        h.Answer(h.Take(SagaStep.SourcePost), ResultCode.Ok);
        Assert.Equal(ResultCode.Ok, Assert.Single(h.Done).Code);
    }

    [Theory]
    [InlineData(SagaMode.Tcc)]
    [InlineData(SagaMode.TwoPhaseCommit)]
    public void Tcc_and_2pc_try_both_in_parallel_then_confirm(SagaMode mode)
    {
        var h = new Harness();
        h.Begin(Cross(10), mode);
        var hold = h.Take(SagaStep.SourceHold);
        var credit = h.Take(SagaStep.DestCredit);
        var locking = mode == SagaMode.TwoPhaseCommit ? TransferFlags.LockAccounts : TransferFlags.None;
        Assert.Equal(TransferFlags.Pending | locking, hold.Step.Flags);
        Assert.Equal(TransferFlags.Pending | locking, credit.Step.Flags);
        h.Answer(credit, ResultCode.Ok);
        Assert.Empty(h.Steps);
        h.Answer(hold, ResultCode.Ok);
        var posts = new[] { h.Take(SagaStep.SourcePost), h.Take(SagaStep.DestPost) };
        h.Answer(posts[1], ResultCode.Ok);
        h.Answer(posts[1], ResultCode.Exists); // duplicate answer: ignored
        Assert.Empty(h.Done);
        h.Answer(posts[0], ResultCode.Ok);
        Assert.Equal(ResultCode.Ok, Assert.Single(h.Done).Code);
    }

    [Theory]
    [InlineData(SagaMode.Tcc)]
    [InlineData(SagaMode.TwoPhaseCommit)]
    public void Tcc_and_2pc_cancel_both_when_one_try_fails_or_the_deadline_passes(SagaMode mode)
    {
        var h = new Harness();
        h.Begin(Cross(10), mode);
        h.Answer(h.Take(SagaStep.DestCredit), ResultCode.AccountLocked);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.Ok); // late: the cancel covers it
        h.Answer(h.Take(SagaStep.SourceCancel), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.DestCancel), ResultCode.Ok);
        Assert.Equal(ResultCode.AccountLocked, Assert.Single(h.Done).Code);

        h.Begin(Cross(11), mode, correlation: 2);
        h.Take(SagaStep.SourceHold);
        h.Take(SagaStep.DestCredit);
        h.Tick(500);
        Assert.Empty(h.Steps);
        h.Tick(500);
        h.Answer(h.Take(SagaStep.SourceCancel), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.DestCancel), ResultCode.Exists);
        Assert.Equal(new Completed(2, 2, ResultCode.SagaStepTimedOut, h.Now), h.Done[1]);
    }

    [Fact]
    public void Confirmation_and_compensation_have_no_deadline_and_resend_until_answered()
    {
        var h = new Harness();
        h.Begin(Cross(10), SagaMode.TwoPhaseCommit);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.DestCredit), ResultCode.Ok);
        h.Steps.Clear();
        h.Tick(1_000_000);
        Assert.Empty(h.Steps);
        Assert.Equal(1, h.Machine.ActiveCount);
        var sink = new CollectingSink(h.Steps, h.Done);
        Assert.Equal(2, h.Machine.EmitOutstanding(h.Now + 1, ref sink));
        Assert.Equal(0, h.Machine.EmitOutstanding(h.Now - 1_000_000, ref sink)); // phase started later than that
        h.Answer(h.Take(SagaStep.SourcePost), ResultCode.Ok);
        h.Answer(h.Take(SagaStep.DestPost), ResultCode.Ok);
        Assert.Equal(ResultCode.Ok, Assert.Single(h.Done).Code);
    }

    [Fact]
    public void Bounded_retry_rounds_rotate_so_no_saga_is_starved()
    {
        var h = new Harness(deadlineNs: long.MaxValue / 4);
        for (var i = 1; i <= 5; i++) h.Begin(Cross((UInt128)i), SagaMode.Saga, i);
        h.Steps.Clear();
        h.Tick(10);
        ulong cursor = 0;
        var rounds = new List<ulong[]>();
        for (var round = 0; round < 4; round++)
        {
            var sent = new List<StepSent>();
            var sink = new CollectingSink(sent, []);
            Assert.Equal(2, h.Machine.EmitOutstanding(h.Now, ref sink, 2, ref cursor));
            rounds.Add(sent.Select(x => (ulong)x.Step.Id).ToArray());
        }

        Assert.Equal([[1, 2], [3, 4], [5, 1], [2, 3]], rounds);
        // Unbounded: everything, and the cursor resets.
        var all = new List<StepSent>();
        var allSink = new CollectingSink(all, []);
        Assert.Equal(5, h.Machine.EmitOutstanding(h.Now, ref allSink, 10, ref cursor));
        Assert.Equal(0ul, cursor);
    }

    [Fact]
    public void Every_saga_result_code_is_produced_by_a_begin_or_a_deadline()
    {
        var (a, b) = CrossPair();
        UInt128 sameAsA = a + 1;
        while (Map.PartitionOf(sameAsA) != Map.PartitionOf(a)) sameAsA++;
        var cases = new (Transfer T, SagaMode Mode, ResultCode Expected)[]
        {
            (Cross(20, flags: TransferFlags.Linked), SagaMode.Saga, ResultCode.LinkedChainSpansPartitions),
            (Cross(21, flags: TransferFlags.Pending), SagaMode.Saga, ResultCode.CrossPartitionTwoPhaseNotSupported),
            (Cross(22) with { CreditAccountId = sameAsA }, SagaMode.Saga, ResultCode.SamePartition),
            (Cross(23), (SagaMode)9, ResultCode.SagaModeUnknown),
            (Cross(24, amount: 0), SagaMode.Saga, ResultCode.AmountMustNotBeZero),
            (Cross(25) with { Ledger = 5 }, SagaMode.Saga, ResultCode.LedgerNotConfigured),
            (Cross(SystemIds.StepTransferId(1, 1)), SagaMode.Saga, ResultCode.IdReservedForSystem),
            (Cross(26, flags: TransferFlags.LockAccounts), SagaMode.Saga, ResultCode.ReservedFlag),
        };
        var h = new Harness(maxActive: 1);
        var correlation = 100L;
        foreach (var c in cases)
        {
            h.Begin(c.T, c.Mode, ++correlation);
            Assert.Equal(new Completed(correlation, 0, c.Expected, h.Now), h.Done[^1]);
        }

        Assert.Empty(h.Steps);
        h.Begin(Cross(30), SagaMode.Saga, 1);
        h.Begin(Cross(30), SagaMode.Saga, 2);
        Assert.Equal(ResultCode.SagaInProgress, h.Done[^1].Code);
        h.Begin(Cross(31), SagaMode.Saga, 3);
        Assert.Equal(ResultCode.SagaTableFull, h.Done[^1].Code);
        h.Tick(1_000);
        h.Answer(h.Take(SagaStep.SourceCancel), ResultCode.Ok);
        Assert.Equal(ResultCode.SagaStepTimedOut, h.Done[^1].Code);
        // A repeat after the end gets the original outcome; a different transfer with the same id is told so.
        h.Begin(Cross(30), SagaMode.Saga, 4);
        Assert.Equal(new Completed(4, 1, ResultCode.SagaStepTimedOut, h.Now), h.Done[^1]);
        h.Begin(Cross(30, amount: 7), SagaMode.Saga, 5);
        Assert.Equal(ResultCode.ExistsWithDifferentAmount, h.Done[^1].Code);
        // The mode is the operator's, not the client's: the same transfer after a switch to TCC keeps its outcome.
        h.Begin(Cross(30), SagaMode.Tcc, 6);
        Assert.Equal(new Completed(6, 1, ResultCode.SagaStepTimedOut, h.Now), h.Done[^1]);

        // 400..499 are the sequencer's own codes (500+ are the gateway's, covered in tests/Gateway.Tests).
        var sagaCodes = Enum.GetValues<ResultCode>().Where(c => (uint)c is >= 400 and < 500).ToHashSet();
        sagaCodes.ExceptWith(h.Done.Select(d => d.Code));
        Assert.Empty(sagaCodes);
    }

    [Fact]
    public void Malformed_commands_apply_nothing_but_advance_time()
    {
        var h = new Harness();
        Assert.Equal(SagaCommandResult.MalformedPayload, h.Run(SagaCommandKind.Begin, new byte[100]));
        Assert.Equal(SagaCommandResult.MalformedPayload, h.Run(SagaCommandKind.Tick, new byte[1]));
        Assert.Equal(SagaCommandResult.UnknownCommand, h.Run((SagaCommandKind)77, new byte[16]));
        var outcomes = new byte[SagaCommands.OutcomeSizeBytes];
        SagaCommands.WriteOutcome(outcomes, 99, SagaStep.SourceHold, ResultCode.Ok); // unknown saga: ignored
        Assert.Equal(SagaCommandResult.Ok, h.Run(SagaCommandKind.StepOutcome, outcomes));
        Assert.Equal(0, h.Machine.ActiveCount);
        Assert.Equal(4, h.Machine.LastIndex);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var sink = new CollectingSink([], []);
            h.Machine.Execute(new CommandStamp(4, 1, h.Now), SagaCommandKind.Tick, [], ref sink);
        });
    }

    [Fact]
    public void Snapshot_restores_the_same_digest_and_the_same_future()
    {
        var h = new Harness(retained: 2);
        for (var i = 1; i <= 4; i++) h.Begin(Cross((UInt128)i), (SagaMode)(1 + (i % 3)), i);
        h.Answer(h.Take(SagaStep.SourceHold), ResultCode.ExceedsCredits);
        h.Answer(h.Take(SagaStep.SourceCancel), ResultCode.Ok);
        var bytes = new MemoryStream();
        h.Machine.WriteTo(bytes);
        var copy = SagaStateMachine.Restore(h.Machine.Options, new MemoryStream(bytes.ToArray()));
        Assert.Equal(h.Machine.ComputeDigest(), copy.ComputeDigest());
        Assert.Equal(h.Machine.ActiveCount, copy.ActiveCount);

        // Same future: the same tick on both gives the same outputs and digests.
        var a = new List<StepSent>();
        var b = new List<StepSent>();
        var sa = new CollectingSink(a, []);
        var sb = new CollectingSink(b, []);
        h.Machine.Execute(new CommandStamp(100, 1, h.Now + 10_000), SagaCommandKind.Tick, [], ref sa);
        copy.Execute(new CommandStamp(100, 1, h.Now + 10_000), SagaCommandKind.Tick, [], ref sb);
        Assert.Equal(a, b);
        Assert.NotEmpty(a);
        Assert.Equal(h.Machine.ComputeDigest(), copy.ComputeDigest());
    }

    [Fact]
    public void Restore_rejects_corrupt_or_truncated_images()
    {
        var h = new Harness();
        h.Begin(Cross(1), SagaMode.Saga);
        var bytes = new MemoryStream();
        h.Machine.WriteTo(bytes);
        var image = bytes.ToArray();
        for (var cut = 0; cut < image.Length; cut += 17)
        {
            Assert.Throws<InvalidDataException>(() => SagaStateMachine.Restore(h.Machine.Options, new MemoryStream(image[..cut])));
        }

        for (var at = 0; at < image.Length; at += 13)
        {
            var flipped = (byte[])image.Clone();
            flipped[at] ^= 0x40;
            Assert.Throws<InvalidDataException>(() => SagaStateMachine.Restore(h.Machine.Options, new MemoryStream(flipped)));
        }
    }

    [Fact]
    public void Reserved_ids_find_nothing()
    {
        // The indexes use id 0 as their empty-bucket mark: a lookup of 0 must not land on an empty bucket.
        var h = new Harness();
        h.Begin(Cross(1), SagaMode.Saga);
        Assert.False(h.Machine.TryGetSaga(0, out _));
        Assert.False(h.Machine.TryGetSagaByTransfer(UInt128.Zero, out _));
        Assert.True(h.Machine.TryGetSaga(1, out var open));
        Assert.Equal((UInt128)1, open.Transfer.Id);
        var before = h.Machine.ComputeDigest();
        var payload = new byte[SagaCommands.OutcomeSizeBytes];
        SagaCommands.WriteOutcome(payload, 0, SagaStep.SourceHold, ResultCode.Ok);
        h.Steps.Clear();
        Assert.Equal(SagaCommandResult.Ok, h.Run(SagaCommandKind.StepOutcome, payload));
        Assert.Empty(h.Steps);
        Assert.Empty(h.Done);
        Assert.True(h.Machine.TryGetSaga(1, out var still) && still.Status == open.Status && still.Outstanding == open.Outstanding);
        Assert.NotEqual(before, h.Machine.ComputeDigest()); // the command was counted (index, stamp), nothing else changed
    }

    [Fact]
    public void Restore_rejects_a_row_with_a_reserved_transfer_id()
    {
        var h = new Harness();
        h.Begin(Cross(1), SagaMode.Saga);
        var bytes = new MemoryStream();
        h.Machine.WriteTo(bytes);
        foreach (var id in new[] { UInt128.Zero, UInt128.MaxValue })
        {
            var image = bytes.ToArray();
            var rowAt = image.Length - 8 - SagaRecord.SizeBytes; // header, one row, 8-byte trailer
            MemoryMarshal.Write(image.AsSpan(rowAt), in id); // Transfer.Id is the row's first field
            var check = new System.IO.Hashing.XxHash64();
            check.Append(image.AsSpan(0, image.Length - 8));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(image.Length - 8), check.GetCurrentHashAsUInt64());
            var e = Assert.Throws<InvalidDataException>(() => SagaStateMachine.Restore(h.Machine.Options, new MemoryStream(image)));
            Assert.Contains("reserved transfer id", e.Message);
        }
    }

    [Fact]
    public void A_row_reused_after_forgetting_carries_nothing_over()
    {
        // Forgetting no longer zeroes the row (Begin resets it): run many sagas through a 2-row retention, each ending
        // differently, then check a new saga's row holds only its own fields and the state round-trips.
        var h = new Harness(retained: 2);
        for (var i = 1; i <= 12; i++)
        {
            h.Steps.Clear();
            h.Begin(Cross((UInt128)i, amount: 100 + i), SagaMode.Saga, correlation: i);
            if (i % 2 == 0)
            {
                h.Answer(h.Take(SagaStep.SourceHold), ResultCode.ExceedsCredits);
                h.Answer(h.Take(SagaStep.SourceCancel), ResultCode.Ok);
            }
            else
            {
                h.Answer(h.Take(SagaStep.SourceHold), ResultCode.Ok);
                h.Answer(h.Take(SagaStep.DestCredit), ResultCode.Ok);
                h.Answer(h.Take(SagaStep.SourcePost), ResultCode.Ok);
            }
        }
        Assert.Equal(2, h.Machine.CompletedCount);
        Assert.False(h.Machine.TryGetSaga(1, out _));
        Assert.False(h.Machine.TryGetSagaByTransfer(1, out _));

        h.Steps.Clear();
        h.Begin(Cross(99, amount: 7), SagaMode.Saga, correlation: 99);
        Assert.True(h.Machine.TryGetSagaByTransfer(99, out var fresh));
        Assert.Equal(13UL, fresh.SagaId);
        Assert.Equal(7, fresh.Transfer.Amount);
        Assert.Equal(99, fresh.CorrelationId);
        Assert.Equal(ResultCode.Ok, fresh.Outcome);
        Assert.Equal(SagaStatus.SourceHolding, fresh.Status);
        Assert.False(fresh.Answered);
        Assert.Equal(0, fresh.CompletedAt);
        Assert.Equal(1 << (int)SagaStep.SourceHold, fresh.Outstanding);

        var bytes = new MemoryStream();
        h.Machine.WriteTo(bytes);
        var copy = SagaStateMachine.Restore(h.Machine.Options, new MemoryStream(bytes.ToArray()));
        Assert.Equal(h.Machine.ComputeDigest(), copy.ComputeDigest());
    }

    [Fact]
    public void Clearing_accounts_live_in_their_partition_and_are_system_ids()
    {
        var clearing = new ClearingAccounts(PartitionMap.Uniform(5), Catalog);
        for (var p = 0; p < 5; p++)
        {
            Assert.True(clearing.TryGet(p, 1, out var id));
            Assert.Equal(p, PartitionMap.Uniform(5).PartitionOf(id));
            Assert.True(SystemIds.IsSystem(id));
            Assert.Equal(id, clearing.AccountsOf(p)[0].Id);
        }

        Assert.False(clearing.TryGet(0, 9, out _));
        Assert.Equal(SagaRecord.SizeBytes, Marshal.SizeOf<SagaRecord>());
    }
}
