namespace Wallet.Engine.Partition;

/// <summary>Who stamps, journals and commits a partition's commands (see <see cref="PartitionOptions.Sequencing"/>).</summary>
public enum PartitionSequencing
{
    /// <summary>Single node: the partition's sequencer stage; committed = journaled and synced per the fsync policy.</summary>
    Local = 0,
    /// <summary>Replicated: a consensus module drives <see cref="PartitionEngine.Sequencer"/>; committed = on a majority.</summary>
    External = 1,
}
