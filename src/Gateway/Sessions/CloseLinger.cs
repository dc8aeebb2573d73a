namespace Wallet.Gateway.Sessions;

/// <summary>
/// When a closing session (SBE or FIX) is dropped. The linger is the time the peer gets to close its side after ours:
/// it starts when our last bytes — the Logout — are out and the FIN is sent (<see cref="OutboundPump"/>), not when the
/// close began. Why: getting those bytes out can itself take a while (the FIX store's fsync gates every send; a slow
/// reader fills the socket), and a linger counted from the close could expire first and drop the Logout answer —
/// seen in CI as a reset in place of the Logout (Fix.Tests, 2026-11-28). Getting the last bytes out gets the same time
/// again and no more: a consumer cut for not reading never takes them, and it must go promptly (twice the linger after
/// the close at most, whatever is still queued).
/// </summary>
internal static class CloseLinger
{
    /// <param name="nowTicks">Now (<see cref="Environment.TickCount64"/>, ms).</param>
    /// <param name="closingSinceTicks">When the close began.</param>
    /// <param name="finSentTicks">When the last bytes were out and the FIN sent; 0 while they are still going out.</param>
    /// <param name="lingerMs">The session's close linger.</param>
    public static bool ShouldDrop(long nowTicks, long closingSinceTicks, long finSentTicks, int lingerMs) =>
        finSentTicks != 0
            ? nowTicks - finSentTicks >= lingerMs
            : nowTicks - closingSinceTicks >= 2L * lingerMs;
}
