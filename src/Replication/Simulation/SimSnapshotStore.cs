using System.Buffers.Binary;
using System.IO.Hashing;
using Wallet.Engine.Snapshots;

namespace Wallet.Replication.Simulation;

/// <summary>
/// Simulated snapshot files of one replica, in the production file format (<see cref="SnapshotHeader"/> + ledger image,
/// header and payload checksummed). Installed snapshots are durable (atomic rename in production); the receive-side
/// temporary file is not: a crash leaves it torn, and recovery discards it (a restarted follower's transfer starts from
/// zero). Writes to the temporary file are garbled at a configured rate (a bad disk / torn write) so that the follower's
/// verification before install is exercised: a garbled file must be rejected, never installed.
/// </summary>
public sealed class SimSnapshotStore : IRaftSnapshotStore
{
    private const int Retained = 2;
    private readonly SimRandom _random;
    private readonly int _garblePerMillion;
    private readonly List<(RaftSnapshotMeta Meta, byte[] Bytes)> _files = new(); // newest last
    private MemoryStream? _temp;
    private RaftSnapshotMeta _tempMeta;

    public SimSnapshotStore(SimRandom random, int garblePerMillion)
    {
        _random = random;
        _garblePerMillion = garblePerMillion;
    }

    /// <summary>Temporary files left torn by a crash mid-receive (discarded at restart).</summary>
    public int TornTempFiles { get; private set; }

    /// <summary>Chunk writes garbled on the way to disk.</summary>
    public int GarbledWrites { get; private set; }

    /// <summary>The newest installed or written snapshot, if any.</summary>
    public bool TryGetNewestFile(out RaftSnapshotMeta meta, out byte[] bytes)
    {
        if (_files.Count == 0)
        {
            meta = default;
            bytes = [];
            return false;
        }

        (meta, bytes) = _files[^1];
        return true;
    }

    /// <summary>The oldest snapshot still kept (retention compacts the log behind it), if any.</summary>
    public bool TryGetOldest(out RaftSnapshotMeta meta)
    {
        meta = _files.Count == 0 ? default : _files[0].Meta;
        return _files.Count > 0;
    }

    /// <summary>Writes a snapshot of this replica's own state (durable, atomic).</summary>
    public RaftSnapshotMeta Save(long index, long term, long timestampNs, UInt128 digest, byte[] payload)
    {
        var bytes = new byte[SnapshotHeader.SizeBytes + payload.Length];
        new SnapshotHeader(index, term, timestampNs, digest, payload.Length, XxHash64.HashToUInt64(payload)).Write(bytes);
        payload.CopyTo(bytes.AsSpan(SnapshotHeader.SizeBytes));
        var meta = new RaftSnapshotMeta(index, term, timestampNs, bytes.Length, SelfChecksum(bytes));
        Keep(meta, bytes);
        return meta;
    }

    /// <summary>Machine crash: an in-progress receive leaves a torn temporary file, which recovery deletes.</summary>
    public void Crash()
    {
        if (_temp is not null) TornTempFiles++;
        _temp = null;
    }

    public bool TryGetNewest(out RaftSnapshotMeta meta) => TryGetNewestFile(out meta, out _);

    public int Read(int cursor, in RaftSnapshotMeta meta, long offset, Span<byte> destination)
    {
        foreach (var (m, bytes) in _files)
        {
            if (m != meta) continue;
            if (offset < 0 || offset > bytes.Length) return -1;
            var n = (int)Math.Min(destination.Length, bytes.Length - offset);
            bytes.AsSpan((int)offset, n).CopyTo(destination);
            return n;
        }

        return -1; // replaced by newer snapshots
    }

    public void EndRead(int cursor)
    {
    }

    public bool BeginReceive(in RaftSnapshotMeta meta)
    {
        _temp = new MemoryStream();
        _tempMeta = meta;
        return true;
    }

    public bool Write(ReadOnlySpan<byte> data)
    {
        if (_temp is null) return false;
        if (_random.Chance(_garblePerMillion) && data.Length > 0)
        {
            var garbled = data.ToArray();
            garbled[_random.NextInt(0, garbled.Length)] ^= 0x20;
            GarbledWrites++;
            _temp.Write(garbled);
            return true;
        }

        _temp.Write(data);
        return true;
    }

    public bool TryInstall(in RaftSnapshotMeta meta, out string? error)
    {
        if (_temp is null || _tempMeta != meta)
        {
            error = "no such transfer in progress";
            return false;
        }

        var bytes = _temp.ToArray();
        _temp = null;
        error = Verify(bytes, meta);
        if (error is not null) return false;
        Keep(meta, bytes);
        return true;
    }

    public void AbortReceive() => _temp = null;

    /// <summary>The checks a follower makes before installing: header, length, payload hash, and that it is the announced snapshot.</summary>
    internal static string? Verify(ReadOnlySpan<byte> bytes, in RaftSnapshotMeta meta)
    {
        if (bytes.Length != meta.SizeBytes) return $"{bytes.Length} bytes received, {meta.SizeBytes} announced";
        var header = SnapshotHeader.TryRead(bytes, out var error);
        if (header is not { } h) return error;
        if (SelfChecksum(bytes) != meta.Checksum) return "not the announced snapshot (header checksum)";
        if (h.Index != meta.Index || h.Term != meta.Term || h.Timestamp != meta.TimestampNs) return "header position differs from the announced one";
        if (SnapshotHeader.SizeBytes + h.PayloadBytes != bytes.Length) return "length differs from the header's";
        if (XxHash64.HashToUInt64(bytes[SnapshotHeader.SizeBytes..]) != h.PayloadHash) return "payload checksum mismatch";
        return null;
    }

    private static ulong SelfChecksum(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt64LittleEndian(bytes[88..]);

    private void Keep(in RaftSnapshotMeta meta, byte[] bytes)
    {
        var index = meta.Index;
        _files.RemoveAll(f => f.Meta.Index >= index);
        _files.Add((meta, bytes));
        if (_files.Count > Retained) _files.RemoveAt(0);
    }
}
