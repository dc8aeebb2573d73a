using Wallet.Engine.Ledger;

namespace Wallet.Saga.Tests;

public readonly record struct StepSent(int Partition, Transfer Step);

public readonly record struct Completed(long CorrelationId, ulong SagaId, ResultCode Code, long Timestamp);

/// <summary>A sink that records everything (tests only; allocates).</summary>
public struct CollectingSink(List<StepSent> steps, List<Completed> completions) : ISagaSink
{
    public readonly void OnStepRequest(int partition, in Transfer step) => steps.Add(new StepSent(partition, step));

    public readonly void OnCompleted(long correlationId, ulong sagaId, ResultCode code, long timestamp) =>
        completions.Add(new Completed(correlationId, sagaId, code, timestamp));
}
