namespace Wallet.Engine.Ledger;

/// <summary>
/// The system id space: ids whose high 64 bits are ≥ <see cref="FirstHigh"/>, except 2^128−1. Only system commands
/// (<see cref="CommandKind.SystemCreateAccounts"/>, <see cref="CommandKind.SystemTransfers"/>) may name them, so the
/// saga sequencer's step transfers and clearing accounts can never collide with a client's ids (docs/SAGA.md).
/// </summary>
public static class SystemIds
{
    /// <summary>High 64 bits of the smallest system id.</summary>
    public const ulong FirstHigh = 0xFFFF_FFFF_0000_0000UL;

    /// <summary>High 64 bits of clearing account ids (low 64 = ledger &lt;&lt; 32 | n).</summary>
    public const ulong ClearingHigh = 0xFFFF_FFFF_FFFF_FFFEUL;

    /// <summary>Step transfer ids: high 64 = StepHighBase | step, low 64 = saga id.</summary>
    public const ulong StepHighBase = FirstHigh;

    public static bool IsSystem(UInt128 id) => (ulong)(id >> 64) >= FirstHigh && id != UInt128.MaxValue;

    public static UInt128 StepTransferId(ulong sagaId, int step) => new(StepHighBase | (uint)step, sagaId);

    /// <summary>Largest step number a step transfer id may carry (the sequencer uses 1..6).</summary>
    public const uint MaxStep = 0xFFFF;

    /// <summary>A saga step transfer's id (or the id of a fence recorded for one): high 64 = StepHighBase | step, step 1..<see cref="MaxStep"/>.</summary>
    public static bool IsStepTransferId(UInt128 id) => (ulong)(id >> 64) - StepHighBase - 1 < MaxStep;

    /// <summary>The saga a step transfer id belongs to (its low 64 bits).</summary>
    public static ulong SagaIdOf(UInt128 stepTransferId) => (ulong)stepTransferId;

    public static UInt128 ClearingAccountId(uint ledger, uint n) => new(ClearingHigh, ((ulong)ledger << 32) | n);

    public static bool IsClearingAccount(UInt128 id) => (ulong)(id >> 64) == ClearingHigh;
}
