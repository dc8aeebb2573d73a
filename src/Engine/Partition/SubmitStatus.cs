namespace Wallet.Engine.Partition;

/// <summary>What happened to a command offered to a partition's ingress ring.</summary>
public enum SubmitStatus
{
    /// <summary>In the ring; its result will come back on the egress side.</summary>
    Accepted = 0,
    /// <summary>The ingress ring is full (backpressure): nothing was queued; retry later or tell the client Busy.</summary>
    Busy = 1,
    /// <summary>The payload is larger than <see cref="PartitionOptions.MaxCommandBytes"/>; nothing was queued.</summary>
    TooLarge = 2,
    /// <summary>The partition is not running (not started, stopping or failed); nothing was queued.</summary>
    NotRunning = 3,
    /// <summary>The command kind is not one the partition accepts from outside.</summary>
    UnknownKind = 4,
    /// <summary>This node does not lead the partition (consensus): nothing was queued; the client goes to the leader.</summary>
    NotLeader = 5,
}
