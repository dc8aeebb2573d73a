using Wallet.Engine.Ledger;

namespace Wallet.Saga;

internal enum InboxKind : byte
{
    Begin = 1,
    Outcome = 2,
    /// <summary>A slot claimed in a batch for an answer that named no step of ours: the driver passes over it.</summary>
    Skip = 3,
}

/// <summary>One entry of the coordinator's inbox: a submission (Begin) or a partition's answer to a step (Outcome).</summary>
internal struct InboxSlot
{
    public InboxKind Kind;
    public Transfer Transfer;
    public SagaMode Mode;
    public long CorrelationId;
    public ISagaCompletion? Completion;
    public ulong SagaId;
    public SagaStep Step;
    public ResultCode Code;

    /// <summary>A submission: one cross-partition transfer to begin, answered to <paramref name="completion"/> under <paramref name="correlationId"/>.</summary>
    public void SetBegin(in Transfer transfer, SagaMode mode, long correlationId, ISagaCompletion completion)
    {
        Kind = InboxKind.Begin;
        Transfer = transfer;
        Mode = mode;
        CorrelationId = correlationId;
        Completion = completion;
    }
}
