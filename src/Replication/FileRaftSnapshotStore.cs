using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using Wallet.Engine.Journal;
using Wallet.Engine.Snapshots;

namespace Wallet.Replication;

/// <summary>
/// Production <see cref="IRaftSnapshotStore"/> over a partition's snapshot directory (<see cref="SnapshotStore"/>: the
/// files the BLP writes, <c>snapshot-{index:D20}.snap</c>). The leader reads the newest file in chunks through one open
/// handle per follower (a file deleted by retention meanwhile stays readable through it). A follower writes the chunks to
/// <see cref="SnapshotStore.ReceivePath"/>, hashing the payload as it goes and starting the write-out every
/// <see cref="WritebackEveryBytes"/>; once complete it syncs the file, checks header and length, and lets
/// <see cref="SnapshotStore.InstallReceivedHashed"/> compare the payload hash with the header's and rename the file into
/// place — the install's work on the consensus thread is the tail of the fsync, not a pass over the file. Driver thread only. I/O errors are reported as
/// false (the leader then restarts the transfer), never thrown into the consensus loop.
/// </summary>
public sealed class FileRaftSnapshotStore : IRaftSnapshotStore, IDisposable
{
    private readonly SnapshotStore _store;
    private readonly SafeFileHandle?[] _readers;
    private readonly RaftSnapshotMeta[] _readerMeta;
    private FileStream? _receive;
    private RaftSnapshotMeta _receiveMeta;
    private long _receivedBytes;
    private long _writebackStartedBytes;
    private readonly int _writebackEveryBytes;
    // XxHash64 of the payload (every byte after the header) as it is written: the install then need not read the file again.
    private readonly XxHash64 _payloadHash = new();

    /// <summary>
    /// While a snapshot is received, write-out of what arrived is started every this many bytes (not waited for). Why:
    /// otherwise the whole file — hundreds of MB for a million accounts — stays dirty in the page cache until
    /// <see cref="TryInstall"/> syncs it, and that fsync would hold the consensus thread (heartbeats, votes) for as long
    /// as the device takes to write all of it; now it waits for the last few MB.
    /// </summary>
    public const int WritebackEveryBytes = 8 << 20;

    /// <param name="store">The partition's snapshot files.</param>
    /// <param name="maxCursors">Read cursors (one per member slot).</param>
    /// <param name="writebackEveryBytes">Early write-out step while receiving (<see cref="WritebackEveryBytes"/>; 0 = none,
    /// the install's fsync writes everything: the `snapshot-install` benchmark's comparison).</param>
    public FileRaftSnapshotStore(SnapshotStore store, int maxCursors, int writebackEveryBytes = WritebackEveryBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCursors, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(writebackEveryBytes);
        _store = store;
        _writebackEveryBytes = writebackEveryBytes;
        _readers = new SafeFileHandle?[maxCursors];
        _readerMeta = new RaftSnapshotMeta[maxCursors];
        TryDelete(store.ReceivePath); // a transfer cut by a crash never resumes: the leader starts again from zero
    }

    /// <summary>Snapshot files installed from a leader by this store.</summary>
    public long Installed { get; private set; }

    /// <summary>Early write-outs started while receiving (<see cref="WritebackEveryBytes"/>; 0 off Linux).</summary>
    public long WritebacksStarted { get; private set; }

    /// <summary>The last reason a received file was refused (diagnostics).</summary>
    public string? LastRejection { get; private set; }

    public bool TryGetNewest(out RaftSnapshotMeta meta)
    {
        foreach ((long index, string path) in _store.ListFiles())
        {
            if (SnapshotStore.ReadHeader(path, out SnapshotHeader header, out ulong checksum) is not null || header.Index != index) continue;
            meta = new RaftSnapshotMeta(header.Index, header.Term, header.Timestamp, SnapshotHeader.SizeBytes + header.PayloadBytes, checksum);
            return true;
        }

        meta = default;
        return false;
    }

    public int Read(int cursor, in RaftSnapshotMeta meta, long offset, Span<byte> destination)
    {
        if ((uint)cursor >= (uint)_readers.Length || offset < 0 || offset > meta.SizeBytes) return -1;
        try
        {
            SafeFileHandle? handle = _readers[cursor];
            if (handle is null || _readerMeta[cursor] != meta)
            {
                EndRead(cursor);
                string path = _store.PathFor(meta.Index);
                if (SnapshotStore.ReadHeader(path, out SnapshotHeader header, out ulong checksum) is not null
                    || checksum != meta.Checksum || SnapshotHeader.SizeBytes + header.PayloadBytes != meta.SizeBytes) return -1;
                // Sequential scan (POSIX_FADV_SEQUENTIAL on Linux): a larger kernel read-ahead, so the consensus thread's chunk
                // reads mostly hit the page cache instead of waiting on the disk.
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
                _readers[cursor] = handle;
                _readerMeta[cursor] = meta;
            }

            var want = (int)Math.Min(destination.Length, meta.SizeBytes - offset);
            var total = 0;
            while (total < want)
            {
                int n = RandomAccess.Read(handle, destination.Slice(total, want - total), offset + total);
                if (n <= 0) return -1; // shorter than announced: not the file we meant
                total += n;
            }

            return total;
        }
        catch (IOException) { EndRead(cursor); return -1; }
        catch (UnauthorizedAccessException) { EndRead(cursor); return -1; }
    }

    public void EndRead(int cursor)
    {
        if ((uint)cursor >= (uint)_readers.Length) return;
        _readers[cursor]?.Dispose();
        _readers[cursor] = null;
        _readerMeta[cursor] = default;
    }

    public bool BeginReceive(in RaftSnapshotMeta meta)
    {
        AbortReceive();
        try
        {
            _receive = new FileStream(_store.ReceivePath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            _receiveMeta = meta;
            _receivedBytes = 0;
            _writebackStartedBytes = 0;
            _payloadHash.Reset();
            return true;
        }
        catch (IOException ex) { LastRejection = ex.Message; return false; }
        catch (UnauthorizedAccessException ex) { LastRejection = ex.Message; return false; }
    }

    public bool Write(ReadOnlySpan<byte> data)
    {
        if (_receive is null) return false;
        try
        {
            _receive.Write(data);
            long headerLeft = SnapshotHeader.SizeBytes - _receivedBytes;
            if (headerLeft < data.Length) _payloadHash.Append(headerLeft > 0 ? data[(int)headerLeft..] : data);
            _receivedBytes += data.Length;
            if (_writebackEveryBytes > 0 && _receivedBytes - _writebackStartedBytes >= _writebackEveryBytes)
            {
                _receive.Flush(flushToDisk: false); // the stream's buffer to the kernel, so the range below is complete
                if (NativeDurability.StartWriteback(_receive.SafeFileHandle, _writebackStartedBytes, _receivedBytes - _writebackStartedBytes)) WritebacksStarted++;
                _writebackStartedBytes = _receivedBytes;
            }
            return true;
        }
        catch (IOException ex) { LastRejection = ex.Message; AbortReceive(); return false; }
    }

    public bool TryInstall(in RaftSnapshotMeta meta, out string? error)
    {
        if (_receive is null || _receiveMeta != meta)
        {
            error = "no such transfer in progress";
            return false;
        }

        try
        {
            _receive.Flush(flushToDisk: true);
            _receive.Dispose();
            _receive = null;
        }
        catch (IOException ex)
        {
            error = "I/O error syncing: " + ex.Message;
            AbortReceive();
            LastRejection = error;
            return false;
        }

        // The announced identity is checked before install, so a wrong file never takes the snapshot's name.
        error = SnapshotStore.ReadHeader(_store.ReceivePath, out SnapshotHeader header, out ulong checksum);
        if (error is null && (checksum != meta.Checksum || header.Index != meta.Index || header.Term != meta.Term
            || header.Timestamp != meta.TimestampNs || SnapshotHeader.SizeBytes + header.PayloadBytes != meta.SizeBytes))
            error = "the received file is not the announced snapshot";
        // The payload was hashed as it was written; the file's length was checked against the header above.
        if (error is null) error = _store.InstallReceivedHashed(_store.ReceivePath, header, _payloadHash.GetCurrentHashAsUInt64());
        else TryDelete(_store.ReceivePath);
        if (error is not null)
        {
            LastRejection = error;
            return false;
        }

        Installed++;
        return true;
    }

    public void AbortReceive()
    {
        _receive?.Dispose();
        _receive = null;
        _receiveMeta = default;
        TryDelete(_store.ReceivePath);
    }

    public void Dispose()
    {
        for (var i = 0; i < _readers.Length; i++) EndRead(i);
        _receive?.Dispose();
        _receive = null;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
