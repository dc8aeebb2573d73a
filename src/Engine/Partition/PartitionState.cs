namespace Wallet.Engine.Partition;

/// <summary>Lifecycle of a partition. Transitions only move forward: Created → Running → Stopping → Stopped, or → Failed.</summary>
public enum PartitionState
{
    Created = 0,
    Running = 1,
    Stopping = 2,
    Stopped = 3,
    /// <summary>A stage threw (journal I/O, a sequencer bug): the partition stopped fatally and accepts nothing.</summary>
    Failed = 4,
}
