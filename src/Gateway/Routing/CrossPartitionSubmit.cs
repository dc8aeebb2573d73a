namespace Wallet.Gateway.Routing;

/// <summary>What happened to a cross-partition transfer offered to <see cref="ICrossPartitionTransfers"/>.</summary>
public enum CrossPartitionSubmit
{
    /// <summary>Taken: its completion will be called exactly once with the final outcome.</summary>
    Accepted = 0,
    /// <summary>No cross-partition transfers here (the default seam): refused, nothing applied.</summary>
    Unsupported = 1,
    /// <summary>Too much in flight: nothing was taken; the client retries later (Busy).</summary>
    Busy = 2,
    /// <summary>This node does not lead the coordinator: nothing was taken; the client goes to the leader.</summary>
    NotLeader = 3,
    /// <summary>The coordinator is not running (stopping, failed): nothing was taken.</summary>
    NotRunning = 4,
}
