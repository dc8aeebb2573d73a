namespace Wallet.Engine.Ring;

/// <summary>Outcome of one <see cref="EventPoller{T}.Poll{THandler}(ref THandler)"/>.</summary>
public enum PollState
{
    /// <summary>At least one event was handed to the handler.</summary>
    Processing,

    /// <summary>Nothing for us yet, but the producer cursor is ahead: an upstream consumer (or an unfinished multi-producer publish) holds us back.</summary>
    Gating,

    /// <summary>Nothing has been produced beyond what we consumed.</summary>
    Idle,
}
