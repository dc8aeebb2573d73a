namespace Wallet.Gateway.Fix;

/// <summary>Outcome of looking for one message at the start of the receive buffer.</summary>
internal enum FixFrameStatus
{
    /// <summary>A whole message with a correct BodyLength and CheckSum.</summary>
    Complete = 0,
    /// <summary>Not enough bytes yet.</summary>
    NeedMore = 1,
    /// <summary>Does not start with 8=FIX.4.4|9=n| (garbled): skip to the next candidate BeginString.</summary>
    BadHeader = 2,
    /// <summary>The bytes at BodyLength do not hold the CheckSum field (garbled): skip to the next BeginString.</summary>
    BadBodyLength = 3,
    /// <summary>Framing is right but the checksum is wrong (garbled): the message is dropped.</summary>
    BadChecksum = 4,
    /// <summary>BodyLength announces more than the configured maximum: treated as garbled.</summary>
    TooLarge = 5,
}
