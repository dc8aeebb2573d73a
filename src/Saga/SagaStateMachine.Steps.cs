using System.Buffers.Binary;
using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>Step outcomes, deadlines and the step transfers themselves.</summary>
public sealed partial class SagaStateMachine
{
    private void Outcome<TSink>(ReadOnlySpan<byte> item, long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        var sagaId = BinaryPrimitives.ReadUInt64LittleEndian(item);
        var stepValue = BinaryPrimitives.ReadUInt32LittleEndian(item[8..]);
        var code = (ResultCode)BinaryPrimitives.ReadUInt32LittleEndian(item[12..]);
        // Late or duplicated answers (a retry answered twice, a saga already decided or forgotten) change nothing.
        if (stepValue is < (uint)SagaStep.SourceHold or > (uint)SagaStep.DestCancel) return;
        if (sagaId == 0 || !_bySaga.TryGet(sagaId, out var slot)) return;
        var step = (SagaStep)stepValue;
        ref var r = ref _rows[slot];
        if (r.IsTerminal || !r.IsOutstanding(step)) return;
        r.Outstanding &= (byte)~(1 << (int)step);
        // Exists = an identical step already applied (failed items are never stored): the step is done.
        var done = code is ResultCode.Ok or ResultCode.Exists;
        switch (r.Status)
        {
            case SagaStatus.SourceHolding:
                if (done)
                {
                    Advance(ref r, SagaStatus.DestCrediting, SagaStep.DestCredit, now, ref sink);
                }
                else
                {
                    // The hold failed; a delayed copy of it could still apply, so fence it before answering.
                    r.Outcome = code;
                    Advance(ref r, SagaStatus.Cancelling, SagaStep.SourceCancel, now, ref sink);
                }

                break;
            case SagaStatus.DestCrediting:
                if (done)
                {
                    Advance(ref r, SagaStatus.SourcePosting, SagaStep.SourcePost, now, ref sink);
                    AnswerAtCommitPoint(ref r, now, ref sink);
                }
                else
                {
                    r.Outcome = code;
                    Advance(ref r, SagaStatus.DestFencing, SagaStep.DestCancel, now, ref sink);
                }

                break;
            case SagaStatus.DestFencing:
                if (code == ResultCode.PendingTransferNotPending)
                {
                    // The credit applied after all (a retry or a delayed copy): go forward.
                    r.Outcome = ResultCode.Ok;
                    Advance(ref r, SagaStatus.SourcePosting, SagaStep.SourcePost, now, ref sink);
                    AnswerAtCommitPoint(ref r, now, ref sink);
                }
                else if (done)
                {
                    Advance(ref r, SagaStatus.Cancelling, SagaStep.SourceCancel, now, ref sink);
                }
                else
                {
                    Anomaly(slot, code, now, ref sink);
                }

                break;
            case SagaStatus.SourcePosting:
                if (done) Complete(slot, SagaStatus.Committed, ResultCode.Ok, now, ref sink);
                else Anomaly(slot, code, now, ref sink);
                break;
            case SagaStatus.Trying:
                if (!done)
                {
                    // One try failed: cancel both. The other try's answer no longer matters: the cancel voids or fences it.
                    r.Outcome = code;
                    CancelBoth(ref r, now, ref sink);
                }
                else if (r.Outstanding == 0)
                {
                    Advance(ref r, SagaStatus.Confirming, SagaStep.SourcePost, now, ref sink);
                    Send(ref r, SagaStep.DestPost, ref sink);
                }

                break;
            case SagaStatus.Confirming:
                if (!done)
                {
                    Anomaly(slot, code, now, ref sink);
                }
                else if (r.Outstanding == 0)
                {
                    Complete(slot, SagaStatus.Committed, ResultCode.Ok, now, ref sink);
                }

                break;
            case SagaStatus.Cancelling:
                if (!done)
                {
                    Anomaly(slot, code, now, ref sink);
                }
                else if (r.Outstanding == 0)
                {
                    Complete(slot, SagaStatus.Failed, r.Outcome, now, ref sink);
                }

                break;
        }
    }

    /// <summary>
    /// Saga mode, entering <see cref="SagaStatus.SourcePosting"/>: the destination holds the credit (posted, spendable)
    /// and the source's hold can only be posted (our own hold; no deadline applies any more), so the outcome is Ok
    /// whatever happens next — the client hears it now instead of one more fsync'd round trip later. The row stays
    /// open until the post is answered; a repeat of the transfer meanwhile gets Ok, not SagaInProgress. Failures are
    /// answered only when the saga ends, once the held funds are released (a client retrying at once must not meet
    /// its own hold). TCC/2PC answer when the confirm round ends: their destination credit is still pending until then.
    /// </summary>
    private static void AnswerAtCommitPoint<TSink>(ref SagaRecord r, long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        if (r.Answered) return;
        r.Outcome = ResultCode.Ok;
        r.Flags |= SagaRecord.FlagAnswered;
        sink.OnCompleted(r.CorrelationId, r.SagaId, ResultCode.Ok, now);
    }

    private void CancelBoth<TSink>(ref SagaRecord r, long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        r.Outstanding = 0;
        Advance(ref r, SagaStatus.Cancelling, SagaStep.SourceCancel, now, ref sink);
        Send(ref r, SagaStep.DestCancel, ref sink);
    }

    private void Anomaly<TSink>(int slot, ResultCode code, long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        // No correct partition answers this (our own hold cannot fail to post or void): end the saga, loudly counted,
        // rather than retry forever.
        Anomalies++;
        Complete(slot, SagaStatus.Failed, code, now, ref sink);
    }

    /// <summary>Sagas still in a forward step past their deadline are compensated (oldest first; Begin order = deadline order).</summary>
    private void ExpireDeadlines<TSink>(long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        var s = _head;
        while (s >= 0)
        {
            ref var r = ref _rows[s];
            if (r.DeadlineAt > now) break;
            var next = r.Next;
            switch (r.Status)
            {
                case SagaStatus.SourceHolding:
                    r.Outcome = ResultCode.SagaStepTimedOut;
                    r.Outstanding = 0;
                    Advance(ref r, SagaStatus.Cancelling, SagaStep.SourceCancel, now, ref sink);
                    break;
                case SagaStatus.DestCrediting:
                    r.Outcome = ResultCode.SagaStepTimedOut;
                    r.Outstanding = 0;
                    Advance(ref r, SagaStatus.DestFencing, SagaStep.DestCancel, now, ref sink);
                    break;
                case SagaStatus.Trying:
                    r.Outcome = ResultCode.SagaStepTimedOut;
                    CancelBoth(ref r, now, ref sink);
                    break;
            }

            s = next;
        }
    }

    private static void Enter(ref SagaRecord r, SagaStatus status, long now)
    {
        r.Status = status;
        r.PhaseStartedAt = now;
    }

    /// <summary>One transition: enter <paramref name="status"/> and send its (first) step.</summary>
    private void Advance<TSink>(ref SagaRecord r, SagaStatus status, SagaStep step, long now, ref TSink sink) where TSink : struct, ISagaSink
    {
        Enter(ref r, status, now);
        Send(ref r, step, ref sink);
    }

    private void Send<TSink>(ref SagaRecord r, SagaStep step, ref TSink sink) where TSink : struct, ISagaSink
    {
        r.Outstanding |= (byte)(1 << (int)step);
        var t = BuildStep(in r, step);
        sink.OnStepRequest(PartitionOf(in r, step), in t);
    }

    private static int PartitionOf(in SagaRecord r, SagaStep step) =>
        step is SagaStep.SourceHold or SagaStep.SourcePost or SagaStep.SourceCancel ? r.SourcePartition : r.DestPartition;

    /// <summary>The step's transfer: a pure function of the saga row and the step (so every resend is identical).</summary>
    public Transfer BuildStep(in SagaRecord r, SagaStep step)
    {
        ref readonly var c = ref r.Transfer;
        var t = new Transfer
        {
            Id = SystemIds.StepTransferId(r.SagaId, (int)step),
            UserData128 = c.Id,
            UserData64 = r.SagaId,
            UserData32 = (uint)step,
        };
        var locking = r.Mode == SagaMode.TwoPhaseCommit ? TransferFlags.LockAccounts : TransferFlags.None;
        switch (step)
        {
            case SagaStep.SourceHold:
                _clearing.TryGet(r.SourcePartition, c.Ledger, out var sourceClearing);
                t.DebitAccountId = c.DebitAccountId;
                t.CreditAccountId = sourceClearing;
                t.Amount = c.Amount;
                t.Ledger = c.Ledger;
                t.Code = c.Code;
                t.Flags = TransferFlags.Pending | locking;
                break;
            case SagaStep.DestCredit:
                _clearing.TryGet(r.DestPartition, c.Ledger, out var destClearing);
                t.DebitAccountId = destClearing;
                t.CreditAccountId = c.CreditAccountId;
                t.Amount = c.Amount;
                t.Ledger = c.Ledger;
                t.Code = c.Code;
                t.Flags = r.Mode == SagaMode.Saga ? TransferFlags.None : TransferFlags.Pending | locking;
                break;
            case SagaStep.SourcePost:
                t.PendingId = SystemIds.StepTransferId(r.SagaId, (int)SagaStep.SourceHold);
                t.Flags = TransferFlags.PostPendingTransfer;
                break;
            case SagaStep.DestPost:
                t.PendingId = SystemIds.StepTransferId(r.SagaId, (int)SagaStep.DestCredit);
                t.Flags = TransferFlags.PostPendingTransfer;
                break;
            case SagaStep.SourceCancel:
                t.PendingId = SystemIds.StepTransferId(r.SagaId, (int)SagaStep.SourceHold);
                t.Flags = TransferFlags.VoidPendingTransfer | TransferFlags.FenceIfAbsent;
                break;
            case SagaStep.DestCancel:
                t.PendingId = SystemIds.StepTransferId(r.SagaId, (int)SagaStep.DestCredit);
                t.Flags = TransferFlags.VoidPendingTransfer | TransferFlags.FenceIfAbsent;
                break;
        }

        return t;
    }
}
