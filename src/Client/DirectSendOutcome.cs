namespace Wallet.Client;

/// <summary>What one non-blocking direct send on a caller's thread did.</summary>
internal enum DirectSendOutcome
{
    /// <summary>The whole frame went out; the writer is free again.</summary>
    Sent = 0,
    /// <summary>The socket took part of the frame (or nothing): the send loop writes the rest before anything else.</summary>
    HandedOver = 1,
    /// <summary>The socket failed or was closed: the connection is lost (the transfer is in flight and will be resubmitted).</summary>
    Failed = 2,
}
