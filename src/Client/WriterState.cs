namespace Wallet.Client;

/// <summary>
/// Who may write to a connection's socket right now (<see cref="ConnectionWriter"/>). Exactly one writer at a time:
/// frames must never interleave on the wire.
/// </summary>
internal enum WriterState
{
    /// <summary>Nobody writes. A caller (under the client lock) or the send loop may take the writer.</summary>
    Idle = 0,
    /// <summary>The send loop writes (gathered frames, a heartbeat, a handed-over remainder, Logout).</summary>
    SendLoop = 1,
    /// <summary>A caller writes one single-transfer frame with one non-blocking send, on its own thread.</summary>
    Direct = 2,
    /// <summary>As <see cref="Direct"/>, and the send loop found the writer busy: the caller must wake it when done.</summary>
    DirectLoopWaiting = 3,
    /// <summary>A direct send left bytes unsent: the send loop owns the writer and writes them before anything else.</summary>
    HandedOver = 4,
}
