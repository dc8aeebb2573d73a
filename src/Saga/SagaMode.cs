namespace Wallet.Saga;

/// <summary>How a cross-partition transfer is carried out (wire value in the saga journal; docs/SAGA.md).</summary>
public enum SagaMode : byte
{
    /// <summary>Default: hold at the source, credit at the destination, post the hold; compensate by voiding it.</summary>
    Saga = 1,
    /// <summary>Try both (pending debit, pending credit) in parallel, then confirm (post both) or cancel (void/fence both).</summary>
    Tcc = 2,
    /// <summary>TCC whose prepares also lock the two accounts until commit or abort.</summary>
    TwoPhaseCommit = 3,
}
