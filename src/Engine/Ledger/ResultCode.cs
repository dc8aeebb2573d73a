namespace Wallet.Engine.Ledger;

/// <summary>
/// Outcome of one item (or of a whole malformed command). These are wire values: stable forever, never
/// renumber or reuse; add new codes with new numbers. One code per reason. See docs/PROTOCOL.md.
/// </summary>
public enum ResultCode : uint
{
    Ok = 0,
    LinkedEventFailed = 1,
    LinkedEventChainOpen = 2,
    TimestampMustBeZero = 3,
    ReservedFlag = 4,
    ReservedField = 5,
    IdMustNotBeZero = 6,
    IdMustNotBeIntMax = 7,
    FlagsAreMutuallyExclusive = 8,
    LedgerMustNotBeZero = 9,
    LedgerNotConfigured = 10,
    CodeMustNotBeZero = 11,
    Exists = 12,
    ExistsWithDifferentFlags = 13,
    ExistsWithDifferentUserData128 = 14,
    ExistsWithDifferentUserData64 = 15,
    ExistsWithDifferentUserData32 = 16,
    ExistsWithDifferentLedger = 17,
    ExistsWithDifferentCode = 18,
    /// <summary>A client item names a system id (transfer, pending or account id; see <see cref="SystemIds"/>).</summary>
    IdReservedForSystem = 19,

    // Whole-command codes (answered once, at Index 0, nothing applied).
    MalformedPayload = 20,
    BatchTooLarge = 21,
    UnknownCommand = 22,

    // Create accounts.
    DebitsPendingMustBeZero = 100,
    DebitsPostedMustBeZero = 101,
    CreditsPendingMustBeZero = 102,
    CreditsPostedMustBeZero = 103,
    ClosedFlagMustNotBeSet = 104,
    AccountsLimitReached = 105,

    // Create transfers.
    DebitAccountIdMustNotBeZero = 200,
    DebitAccountIdMustNotBeIntMax = 201,
    CreditAccountIdMustNotBeZero = 202,
    CreditAccountIdMustNotBeIntMax = 203,
    AccountsMustBeDifferent = 204,
    PendingIdMustBeZero = 205,
    PendingIdMustNotBeZero = 206,
    PendingIdMustNotBeIntMax = 207,
    PendingIdMustBeDifferent = 208,
    TimeoutReservedForPendingTransfer = 209,
    AmountMustNotBeZero = 210,
    AmountMustNotBeNegative = 211,
    DebitAccountNotFound = 212,
    CreditAccountNotFound = 213,
    AccountsMustHaveTheSameLedger = 214,
    TransferMustHaveTheSameLedgerAsAccounts = 215,
    DebitAccountClosed = 216,
    CreditAccountClosed = 217,
    PendingTransferNotFound = 218,
    PendingTransferNotPending = 219,
    PendingTransferHasDifferentDebitAccountId = 220,
    PendingTransferHasDifferentCreditAccountId = 221,
    PendingTransferHasDifferentLedger = 222,
    PendingTransferHasDifferentCode = 223,
    PendingTransferHasDifferentAmount = 224,
    ExceedsPendingTransferAmount = 225,
    PendingTransferAlreadyPosted = 226,
    PendingTransferAlreadyVoided = 227,
    PendingTransferExpired = 228,
    ExistsWithDifferentDebitAccountId = 229,
    ExistsWithDifferentCreditAccountId = 230,
    ExistsWithDifferentAmount = 231,
    ExistsWithDifferentPendingId = 232,
    ExistsWithDifferentTimeout = 233,
    OverflowsDebitsPending = 234,
    OverflowsCreditsPending = 235,
    OverflowsDebitsPosted = 236,
    OverflowsCreditsPosted = 237,
    OverflowsDebits = 238,
    OverflowsCredits = 239,
    OverflowsTimeout = 240,
    ExceedsCredits = 241,
    ExceedsDebits = 242,
    PendingTransfersLimitReached = 243,
    /// <summary>The id was fenced by a cancel that arrived before this transfer (TCC out-of-order rule).</summary>
    TransferFenced = 245,
    /// <summary>An account of this transfer is locked by a prepared 2PC transaction.</summary>
    AccountLocked = 246,
    /// <summary>
    /// A saga step whose id this partition may have forgotten: a step of the same or a later saga has already left the
    /// idempotency window, so whether an earlier copy of this one applied is unknown. Refused, every copy, so that a
    /// late retry can never apply a step twice (docs/SAGA.md, "Steps older than the idempotency window").
    /// </summary>
    StepOutcomeForgotten = 247,

    // Close accounts.
    AccountNotFound = 300,
    AccountAlreadyClosed = 301,
    AccountHasPendingTransfers = 302,

    // Cross-partition transfers (answered by the saga sequencer, never by a partition).
    LinkedChainSpansPartitions = 400,
    CrossPartitionTwoPhaseNotSupported = 401,
    SamePartition = 402,
    SagaTableFull = 403,
    SagaInProgress = 404,
    SagaStepTimedOut = 405,
    SagaModeUnknown = 406,

    // Answered by the gateway, never by a partition.

    /// <summary>
    /// A request whose items live on several partitions was split by the gateway, and this item's partition (or the
    /// cross-partition coordinator) did not take its part after another part had been taken — its ring was full or it
    /// stopped leading meanwhile. Nothing was applied for this item; resubmit it (its id makes that safe).
    /// </summary>
    PartitionUnavailable = 500,
}
