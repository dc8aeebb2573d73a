namespace Wallet.Gateway.Fix;

/// <summary>Why the fields of a correctly framed message could not be read.</summary>
internal enum FixParseError
{
    None = 0,
    /// <summary>A tag is not a positive decimal number (SessionRejectReason 0).</summary>
    InvalidTagNumber = 1,
    /// <summary>"tag=" with nothing after it (SessionRejectReason 4).</summary>
    TagWithoutValue = 2,
    /// <summary>A field without '=' (the message is garbled).</summary>
    MissingEquals = 3,
    /// <summary>More fields than the configured maximum (SessionRejectReason 99 Other).</summary>
    TooManyFields = 4,
    /// <summary>MsgType (35) is not the first field after BodyLength (the message is garbled).</summary>
    MsgTypeNotThird = 5,
    /// <summary>A tag appears twice (SessionRejectReason 13); the wallet's messages have no repeating groups.</summary>
    DuplicateTag = 6,
}
