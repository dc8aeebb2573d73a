using Wallet.Engine.ReadModel;

namespace Wallet.Host.Partitions;

/// <summary>
/// Where each partition of a node keeps its files. One partition: directly in the data directory (the layout every
/// earlier release wrote, unchanged). N &gt; 1: one sub-directory per partition, <c>p0/ … p{N-1}/</c>, each laid out
/// exactly like a one-partition data directory (journals, snapshots, raft-state, readmodel/). The data directory's
/// root holds <see cref="PartitionMapFile.FileName"/>, which pins the partition count and slot table the directory
/// was created with, and the shared FIX session store.
/// </summary>
internal static class PartitionLayout
{
    /// <summary>The directory of <paramref name="partition"/> when the node hosts <paramref name="partitionCount"/>.</summary>
    public static string DirectoryOf(string dataDirectory, int partitionCount, int partition)
    {
        if (partitionCount < 1) throw new ArgumentOutOfRangeException(nameof(partitionCount), partitionCount, "at least one partition");
        if ((uint)partition >= (uint)partitionCount) throw new ArgumentOutOfRangeException(nameof(partition), partition, $"0..{partitionCount - 1}");
        return partitionCount == 1 ? dataDirectory : Path.Combine(dataDirectory, SubdirectoryName(partition));
    }

    public static string SubdirectoryName(int partition) => "p" + partition.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The read model of <paramref name="partition"/>: the configured directory with one partition; with several, the
    /// default (<c>&lt;data&gt;/readmodel</c>) becomes <c>&lt;data&gt;/p{i}/readmodel</c> and an explicit directory gets a
    /// <c>p{i}</c> sub-directory (one RocksDB per partition: each projects its own event journal).
    /// </summary>
    public static string ReadModelDirectoryOf(string dataDirectory, string configuredReadModelDirectory, int partitionCount, int partition)
    {
        if (partitionCount == 1) return configuredReadModelDirectory;
        string defaultDirectory = Path.Combine(dataDirectory, ReadModelStore.DirectoryName);
        return string.Equals(Path.GetFullPath(configuredReadModelDirectory), Path.GetFullPath(defaultDirectory), StringComparison.Ordinal)
            ? Path.Combine(DirectoryOf(dataDirectory, partitionCount, partition), ReadModelStore.DirectoryName)
            : Path.Combine(configuredReadModelDirectory, SubdirectoryName(partition));
    }
}
