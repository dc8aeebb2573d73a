namespace Wallet.Saga;

/// <summary>The steps of a saga; the step number is part of its transfer id (<see cref="Wallet.Engine.Ledger.SystemIds.StepTransferId"/>).</summary>
public enum SagaStep : byte
{
    /// <summary>Source: pending A → clearing(src) (2PC: locking).</summary>
    SourceHold = 1,
    /// <summary>Destination: Saga: clearing(dst) → B posted; TCC/2PC: pending (2PC: locking).</summary>
    DestCredit = 2,
    /// <summary>Source: post step 1.</summary>
    SourcePost = 3,
    /// <summary>Destination: post step 2 (TCC/2PC).</summary>
    DestPost = 4,
    /// <summary>Source: void step 1, fencing it if absent.</summary>
    SourceCancel = 5,
    /// <summary>Destination: void step 2, fencing it if absent.</summary>
    DestCancel = 6,
}
