namespace Wallet.Replication;

/// <summary>The role of a <see cref="RaftNode"/>. Only a <see cref="Leader"/> accepts proposals.</summary>
public enum RaftRole
{
    /// <summary>Accepts entries from the leader of its term; starts a pre-vote when it hears nothing for an election timeout.</summary>
    Follower = 0,

    /// <summary>Asking (without changing any term) whether a majority would vote for it; keeps a partitioned node from inflating terms.</summary>
    PreCandidate = 1,

    /// <summary>Incremented its term, voted for itself and asks for votes.</summary>
    Candidate = 2,

    /// <summary>Sequences and streams the log; commits through a majority of durable positions.</summary>
    Leader = 3,
}
