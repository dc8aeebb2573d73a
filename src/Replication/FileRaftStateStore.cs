using System.Buffers.Binary;
using Wallet.Engine.Journal;

namespace Wallet.Replication;

/// <summary>
/// <see cref="IRaftStateStore"/> in one small file: 32 bytes, little-endian
/// {magic "RAFTHS01", int64 term, int32 votedFor, int32 reserved(0), uint32 CRC-32C of bytes 0..23, uint32 reserved(0)}.
/// Saved atomically: written to a temp file, fsynced, renamed over the old file, directory fsynced. A file that fails
/// its checks is never used: <see cref="Load"/> throws <see cref="InvalidDataException"/> (operator action: a replica
/// that lost its vote record must not rejoin silently, or it could vote twice in one term).
/// </summary>
public sealed class FileRaftStateStore : IRaftStateStore
{
    public const int FileBytes = 32;
    private static ReadOnlySpan<byte> Magic => "RAFTHS01"u8;

    private readonly string _path;
    private readonly string _tempPath;

    public FileRaftStateStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = Path.GetFullPath(path);
        _tempPath = _path + ".tmp";
        var dir = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    }

    public string FilePath => _path;

    public RaftHardState Load()
    {
        if (!File.Exists(_path)) return RaftHardState.Initial;
        var bytes = File.ReadAllBytes(_path);
        if (bytes.Length != FileBytes) throw new InvalidDataException($"{_path}: {bytes.Length} bytes, expected {FileBytes}.");
        var span = bytes.AsSpan();
        if (!span[..8].SequenceEqual(Magic)) throw new InvalidDataException($"{_path}: bad magic.");
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(span[24..]);
        if (crc != Crc32C.Compute(span[..24])) throw new InvalidDataException($"{_path}: checksum mismatch.");
        var term = BinaryPrimitives.ReadInt64LittleEndian(span[8..]);
        var votedFor = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        if (term < 0 || votedFor < RaftHardState.NoVote || BinaryPrimitives.ReadInt32LittleEndian(span[20..]) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(span[28..]) != 0)
            throw new InvalidDataException($"{_path}: invalid fields (term {term}, votedFor {votedFor}).");
        return new RaftHardState(term, votedFor);
    }

    public void Save(in RaftHardState state)
    {
        if (state.CurrentTerm < 0 || state.VotedFor < RaftHardState.NoVote) throw new ArgumentOutOfRangeException(nameof(state), state, "Negative term or invalid vote.");
        Span<byte> buffer = stackalloc byte[FileBytes];
        buffer.Clear();
        Magic.CopyTo(buffer);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[8..], state.CurrentTerm);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[16..], state.VotedFor);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], Crc32C.Compute(buffer[..24]));
        using (var file = new FileStream(_tempPath, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            file.Write(buffer);
            file.Flush(flushToDisk: true);
        }

        File.Move(_tempPath, _path, overwrite: true);
        var dir = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(dir)) NativeDurability.SyncDirectory(dir); // the rename is the commit point
    }
}
