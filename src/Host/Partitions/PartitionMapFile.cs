using System.Buffers.Binary;
using Wallet.Engine.Journal;
using Wallet.Engine.Partition;

namespace Wallet.Host.Partitions;

/// <summary>
/// The data directory's partition map: the partition count and the 4096-slot table it was created with, so that a
/// node started with another count refuses to open it rather than route accounts to partitions that never held them.
/// Binary, little-endian, <see cref="SizeBytes"/> bytes:
/// <code>
/// 0   8     magic "WLTPMAP1"
/// 8   4     format version (1)
/// 12  4     partition count N (1..1024)
/// 16  4     slot count (4096)
/// 20  8192  slot table: 4096 × u16 partition of slot s
/// 8212 4    CRC-32C of bytes 0..8211
/// </code>
/// Written once, atomically (temporary file, fsync, rename), when a node first opens an empty data directory.
/// </summary>
internal static class PartitionMapFile
{
    public const string FileName = "partition-map";
    public const int Version = 1;
    public const int SizeBytes = 20 + PartitionMap.SlotCount * 2 + 4;
    private static ReadOnlySpan<byte> Magic => "WLTPMAP1"u8;

    /// <summary>
    /// Opens the data directory for <paramref name="partitionCount"/> partitions: returns the persisted map when it
    /// matches, writes a new uniform map into a directory that holds none, and refuses (with the reason) a directory
    /// created with another count, one holding a single-partition layout when N &gt; 1, or a damaged map file.
    /// </summary>
    /// <exception cref="InvalidDataException">The directory does not fit <paramref name="partitionCount"/> or the file is damaged.</exception>
    public static PartitionMap OpenOrCreate(string dataDirectory, int partitionCount)
    {
        string path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            PartitionMap stored = Read(path);
            if (stored.PartitionCount != partitionCount)
                throw new InvalidDataException($"{dataDirectory} was created with {stored.PartitionCount} partition(s) but this node is configured with {partitionCount} (Serve:Partitions / --partitions): the count cannot change in place; start with --partitions {stored.PartitionCount} or use a new data directory.");
            return stored;
        }
        CheckNoForeignLayout(dataDirectory, partitionCount);
        PartitionMap map = PartitionMap.Uniform(partitionCount);
        Directory.CreateDirectory(dataDirectory);
        Write(path, map);
        return map;
    }

    /// <summary>A directory without a map file may still hold data (written before this file existed): only a layout of the same shape is adopted.</summary>
    private static void CheckNoForeignLayout(string dataDirectory, int partitionCount)
    {
        if (!Directory.Exists(dataDirectory)) return;
        // A one-partition node keeps its journal segments and snapshots directly in the data directory.
        bool rootHoldsPartition = Directory.EnumerateFiles(dataDirectory, "*.seg").Any()
            || Directory.EnumerateFiles(dataDirectory, "*" + Wallet.Engine.Snapshots.SnapshotStore.FileSuffix).Any();
        if (partitionCount > 1 && rootHoldsPartition)
            throw new InvalidDataException($"{dataDirectory} holds a single-partition node's data (journals directly in it) but this node is configured with {partitionCount} partitions: the count cannot change in place; start with --partitions 1 or use a new data directory.");
        if (partitionCount == 1 && Directory.Exists(Path.Combine(dataDirectory, PartitionLayout.SubdirectoryName(0))) && Directory.EnumerateFileSystemEntries(Path.Combine(dataDirectory, PartitionLayout.SubdirectoryName(0))).Any())
            throw new InvalidDataException($"{dataDirectory} holds per-partition directories (p0/, …) but no {FileName} file and this node is configured with 1 partition: refusing to guess; use the partition count it was created with or a new data directory.");
    }

    public static PartitionMap Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length != SizeBytes || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a partition map ({bytes.Length} bytes; expected {SizeBytes} starting with WLTPMAP1).");
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(SizeBytes - 4));
        if (Crc32C.Compute(bytes.AsSpan(0, SizeBytes - 4)) != crc)
            throw new InvalidDataException($"{path} is damaged (checksum mismatch): restore it from a backup of this data directory.");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        int slots = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        if (version != Version || slots != PartitionMap.SlotCount)
            throw new InvalidDataException($"{path}: unsupported partition map (version {version}, {slots} slots; this release reads version {Version} with {PartitionMap.SlotCount} slots).");
        var table = new ushort[PartitionMap.SlotCount];
        for (int s = 0; s < table.Length; s++) table[s] = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20 + s * 2));
        try
        {
            return PartitionMap.FromTable(table, count);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{path}: invalid partition map: {ex.Message}", ex);
        }
    }

    public static void Write(string path, PartitionMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var bytes = new byte[SizeBytes];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), map.PartitionCount);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), PartitionMap.SlotCount);
        for (int s = 0; s < PartitionMap.SlotCount; s++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(20 + s * 2), (ushort)map.PartitionOfSlot(s));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(SizeBytes - 4), Crc32C.Compute(bytes.AsSpan(0, SizeBytes - 4)));
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
