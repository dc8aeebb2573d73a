namespace Wallet.Gateway.Fix;

/// <summary>SessionRejectReason (373) values used by the gateway (FIX 4.4).</summary>
internal enum FixSessionRejectReason
{
    InvalidTagNumber = 0,
    RequiredTagMissing = 1,
    TagWithoutValue = 4,
    ValueIsIncorrect = 5,
    IncorrectDataFormat = 6,
    CompIdProblem = 9,
    InvalidMsgType = 11,
    TagAppearsMoreThanOnce = 13,
    Other = 99,
}

/// <summary>BusinessRejectReason (380) values used by the gateway (FIX 4.4).</summary>
internal enum FixBusinessRejectReason
{
    Other = 0,
    UnknownId = 1,
    UnsupportedMessageType = 3,
    ApplicationNotAvailable = 4,
    ConditionallyRequiredFieldMissing = 5,
    NotAuthorized = 6,
}
