using System.Buffers.Binary;

namespace Wallet.Replication.Transport;

/// <summary>
/// The first 16 bytes a replica sends on a connection it opened: magic "WRP1", version, cluster id, its node id. The
/// acceptor checks every field before it reads a single message: a stray client or a node of another cluster is cut.
/// </summary>
internal static class Handshake
{
    public const int SizeBytes = 16;
    public const uint Magic = 0x31505257; // "WRP1" little-endian
    public const ushort Version = 1;

    public static void Write(Span<byte> dest, uint clusterId, int nodeId)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(dest, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[6..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[8..], clusterId);
        BinaryPrimitives.WriteInt32LittleEndian(dest[12..], nodeId);
    }

    /// <summary>The peer's node id, or an error text.</summary>
    public static bool TryRead(ReadOnlySpan<byte> src, uint clusterId, out int nodeId, out string error)
    {
        nodeId = 0;
        if (BinaryPrimitives.ReadUInt32LittleEndian(src) != Magic) { error = "bad magic (not a replica)"; return false; }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(src[4..]);
        if (version != Version) { error = $"unsupported transport version {version}"; return false; }
        uint cluster = BinaryPrimitives.ReadUInt32LittleEndian(src[8..]);
        if (cluster != clusterId) { error = $"cluster id {cluster} is not ours ({clusterId})"; return false; }
        nodeId = BinaryPrimitives.ReadInt32LittleEndian(src[12..]);
        error = string.Empty;
        return true;
    }
}
