namespace Wallet.Replication;

/// <summary>
/// The state Raft must persist before answering: the current term and the vote given in it
/// (<see cref="NoVote"/> when none). Losing either could let a node vote twice in one term.
/// </summary>
public readonly record struct RaftHardState(long CurrentTerm, int VotedFor)
{
    /// <summary>VotedFor value meaning "no vote given in CurrentTerm".</summary>
    public const int NoVote = -1;

    /// <summary>A brand-new node: term 0, no vote.</summary>
    public static RaftHardState Initial => new(0, NoVote);
}
