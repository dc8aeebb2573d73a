using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Snapshots;

/// <summary>
/// The fixed 96-byte header at the start of every snapshot file. Little-endian on disk.
/// <code>
/// offset size field
///      0    8 magic "WLTSNAP1"
///      8    4 format version (1)
///     12    4 header size in bytes (96)
///     16    8 log index the state is taken at (every command up to and including it is applied)
///     24    8 term of that command
///     32    8 timestamp of that command (ns since the Unix epoch, the sequencer's stamp)
///     40   16 state digest at that index (XxHash128 of the ledger state, see LedgerStateMachine.ComputeDigest)
///     56    8 payload length in bytes
///     64    8 XxHash64 of the payload
///     72   16 reserved, zero
///     88    8 XxHash64 of bytes [0, 88) — the header checks itself
/// </code>
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct SnapshotHeader(long Index, long Term, long Timestamp, UInt128 Digest, long PayloadBytes, ulong PayloadHash)
{
    public const int SizeBytes = 96;
    public const uint FormatVersion = 1;
    internal static ReadOnlySpan<byte> Magic => "WLTSNAP1"u8;

    public void Write(Span<byte> destination)
    {
        if (destination.Length < SizeBytes) throw new ArgumentException("destination shorter than a snapshot header", nameof(destination));
        destination[..SizeBytes].Clear();
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], SizeBytes);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], Index);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], Term);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], Timestamp);
        BinaryPrimitives.WriteUInt128LittleEndian(destination[40..], Digest);
        BinaryPrimitives.WriteInt64LittleEndian(destination[56..], PayloadBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[64..], PayloadHash);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[88..], XxHash64.HashToUInt64(destination[..88]));
    }

    /// <summary>Parses and validates a header; returns null and a precise reason when the bytes are not a valid header.</summary>
    public static SnapshotHeader? TryRead(ReadOnlySpan<byte> source, out string? error)
    {
        if (source.Length < SizeBytes) { error = $"file shorter than the {SizeBytes}-byte header ({source.Length} bytes)"; return null; }
        if (!source[..8].SequenceEqual(Magic)) { error = "bad magic (not a snapshot file)"; return null; }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        if (version != FormatVersion) { error = $"unsupported snapshot format version {version}"; return null; }
        uint headerBytes = BinaryPrimitives.ReadUInt32LittleEndian(source[12..]);
        if (headerBytes != SizeBytes) { error = $"bad header size {headerBytes}"; return null; }
        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(source[88..]);
        ulong actual = XxHash64.HashToUInt64(source[..88]);
        if (expected != actual) { error = $"header checksum mismatch (stored {expected:x16}, computed {actual:x16})"; return null; }
        var header = new SnapshotHeader(
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadUInt128LittleEndian(source[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[56..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[64..]));
        if (header.Index < 0 || header.PayloadBytes < 0) { error = "negative index or payload length"; return null; }
        error = null;
        return header;
    }
}
