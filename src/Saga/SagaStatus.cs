namespace Wallet.Saga;

/// <summary>Where a saga is (snapshot wire value). Terminal: <see cref="Committed"/>, <see cref="Failed"/>.</summary>
public enum SagaStatus : byte
{
    /// <summary>Saga mode: step 1 (hold at the source) sent.</summary>
    SourceHolding = 1,
    /// <summary>Saga mode: step 2 (credit at the destination) sent.</summary>
    DestCrediting = 2,
    /// <summary>Saga mode: step 2 failed or timed out; step 6 fences it (the fence decides whether it applied).</summary>
    DestFencing = 3,
    /// <summary>Saga mode: step 3 (post the hold) sent; the saga will commit.</summary>
    SourcePosting = 4,
    /// <summary>TCC/2PC: steps 1 and 2 (tries/prepares) sent.</summary>
    Trying = 5,
    /// <summary>TCC/2PC: steps 3 and 4 (confirm/commit) sent; the saga will commit.</summary>
    Confirming = 6,
    /// <summary>Compensation: void/fence steps (5, and 6 in TCC/2PC) sent; the saga will fail.</summary>
    Cancelling = 7,
    Committed = 8,
    Failed = 9,
}
