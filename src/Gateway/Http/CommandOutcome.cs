using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Gateway.Http;

/// <summary>How a command or exact query submitted by the HTTP API ended.</summary>
public enum CommandOutcomeKind
{
    /// <summary>The partition answered (results and payload below).</summary>
    Answered,
    /// <summary>The ingress ring (or the in-flight limit) was full: nothing was queued.</summary>
    Busy,
    /// <summary>The partition is not running (starting, stopping, failed).</summary>
    NotRunning,
    /// <summary>No answer within the timeout: the command may or may not have been applied.</summary>
    TimedOut,
    /// <summary>The partition refused the request as such (too large, unknown kind).</summary>
    Refused,
    /// <summary>Consensus: this node does not lead the partition (or lost the leadership with the command queued); nothing applied.</summary>
    NotLeader,
}

/// <summary>A copy of one partition result, taken on the egress thread.</summary>
public sealed record CommandOutcome(CommandOutcomeKind Kind, long Index, long TimestampNs, CreateResult[] Results, byte[] Payload, SubmitStatus SubmitStatus = SubmitStatus.Accepted)
{
    /// <summary>For <see cref="CommandOutcomeKind.NotLeader"/>: who leads, as this node knew it when the answer was given.</summary>
    public Wallet.Gateway.Routing.LeaderInfo Leader { get; init; }

    public static CommandOutcome Failed(CommandOutcomeKind kind, SubmitStatus status = SubmitStatus.Accepted) => new(kind, 0, 0, [], [], status);
}
