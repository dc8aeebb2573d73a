using Wallet.Engine.Ledger;

namespace Wallet.Saga;

internal enum InboxKind : byte
{
    Begin = 1,
    Outcome = 2,
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
}
