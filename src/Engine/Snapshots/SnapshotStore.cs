using System.Globalization;

namespace Wallet.Engine.Snapshots;

/// <summary>A snapshot file on disk and its validated header.</summary>
public sealed record SnapshotInfo(string FilePath, SnapshotHeader Header);

/// <summary>A snapshot file that was found but not used, and why.</summary>
public sealed record SnapshotRejection(string FilePath, string Reason);

/// <summary>What <see cref="SnapshotStore.LoadNewestValid{T}"/> found.</summary>
public sealed record SnapshotLoadResult<T>(SnapshotInfo? Snapshot, T? State, IReadOnlyList<SnapshotRejection> Rejected);

/// <summary>
/// Checksummed snapshot files of the BLP state, one file per index: <c>{prefix}-{index:D20}.snap</c>.
/// A snapshot is written to a <c>.tmp</c> file, synced, then renamed into place, so a crash mid-write never
/// leaves a file that looks complete. Loading takes the newest file whose header, payload checksum and
/// (caller-side) digest all verify; a corrupt one is reported and the previous one is used.
/// Retention keeps the newest <see cref="RetainCount"/> files.
/// </summary>
public sealed class SnapshotStore
{
    public const string FileSuffix = ".snap";
    private const string TempSuffix = ".tmp";
    /// <summary>Limit on a snapshot payload: far above 1M accounts (128 MB) plus retained transfers.</summary>
    public const long MaxPayloadBytes = 64L << 30;

    public SnapshotStore(string directory, string prefix = "snapshot", int retainCount = 3)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (retainCount < 1 || retainCount > 1000) throw new ArgumentOutOfRangeException(nameof(retainCount), retainCount, "retain between 1 and 1000 snapshots");
        Directory = directory;
        Prefix = prefix;
        RetainCount = retainCount;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }
    public string Prefix { get; }
    public int RetainCount { get; }

    public string PathFor(long index) =>
        Path.Combine(Directory, Prefix + "-" + index.ToString("D20", CultureInfo.InvariantCulture) + FileSuffix);

    /// <summary>
    /// Writes a snapshot of the state at <paramref name="index"/>. <paramref name="writePayload"/> streams the
    /// state; it may run on any thread (it must only touch an immutable image of the state).
    /// </summary>
    public SnapshotInfo Write(long index, long term, long timestamp, UInt128 digest, Action<Stream> writePayload)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentNullException.ThrowIfNull(writePayload);
        string finalPath = PathFor(index);
        string tempPath = finalPath + TempSuffix;
        SnapshotHeader header;
        try
        {
            header = WriteTemp(tempPath, index, term, timestamp, digest, writePayload);
        }
        catch
        {
            // A failed write (disk full, a payload error) must not leave its partial file behind: on a full disk it
            // would hold the space the next attempt needs, and only a successful write cleans temps up otherwise.
            DeleteQuietly(tempPath);
            throw;
        }

        File.Move(tempPath, finalPath, overwrite: true);
        Journal.NativeDurability.SyncDirectory(Directory); // the rename is the commit point: make it durable
        ApplyRetention();
        return new SnapshotInfo(finalPath, header);
    }

    private static SnapshotHeader WriteTemp(string tempPath, long index, long term, long timestamp, UInt128 digest, Action<Stream> writePayload)
    {
        SnapshotHeader header;
        using (var file = new FileStream(tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16))
        {
            file.Write(new byte[SnapshotHeader.SizeBytes]); // placeholder; rewritten once the payload hash is known
            // Not disposed: disposing a BufferedStream closes the file under it.
            var buffered = new BufferedStream(file, 1 << 20);
            var hashing = new HashingWriteStream(buffered);
            writePayload(hashing);
            buffered.Flush();
            header = new SnapshotHeader(index, term, timestamp, digest, hashing.BytesWritten, hashing.Hash);
            if (header.PayloadBytes > MaxPayloadBytes) throw new InvalidOperationException($"snapshot payload of {header.PayloadBytes} bytes exceeds the {MaxPayloadBytes}-byte limit");
            Span<byte> headerBytes = stackalloc byte[SnapshotHeader.SizeBytes];
            header.Write(headerBytes);
            file.Position = 0;
            file.Write(headerBytes);
            file.Flush(flushToDisk: true);
        }
        return header;
    }

    private static void DeleteQuietly(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Every snapshot file, newest first, without validating it.</summary>
    public IReadOnlyList<(long Index, string FilePath)> ListFiles()
    {
        var result = new List<(long, string)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, Prefix + "-*" + FileSuffix))
        {
            string name = Path.GetFileName(path);
            ReadOnlySpan<char> digits = name.AsSpan(Prefix.Length + 1, name.Length - Prefix.Length - 1 - FileSuffix.Length);
            if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long index)) result.Add((index, path));
        }
        // Sort by index, newest first; ties cannot occur (one file per index).
        result.Sort(static (a, b) => b.Item1.CompareTo(a.Item1));
        return result;
    }

    /// <summary>
    /// Loads the newest snapshot whose header and payload checksum verify and which <paramref name="readPayload"/>
    /// accepts. <paramref name="readPayload"/> may throw <see cref="InvalidDataException"/> to reject a file, and
    /// <paramref name="validate"/> (e.g. digest comparison) may return a reason to reject it. Files with an index
    /// above <paramref name="maxIndex"/> are skipped (a snapshot cannot be newer than the journal it belongs to).
    /// </summary>
    public SnapshotLoadResult<T> LoadNewestValid<T>(Func<Stream, SnapshotHeader, T> readPayload, Func<T, SnapshotHeader, string?>? validate = null, long maxIndex = long.MaxValue)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(readPayload);
        var rejected = new List<SnapshotRejection>();
        foreach ((long index, string path) in ListFiles())
        {
            if (index > maxIndex)
            {
                rejected.Add(new SnapshotRejection(path, $"index {index} is beyond the journal's last index {maxIndex}"));
                continue;
            }
            string? reason = TryLoad(path, readPayload, validate, out T? state, out SnapshotHeader header);
            if (reason is null)
                return new SnapshotLoadResult<T>(new SnapshotInfo(path, header), state, rejected);
            rejected.Add(new SnapshotRejection(path, reason));
        }
        return new SnapshotLoadResult<T>(null, null, rejected);
    }

    /// <summary>Checks one snapshot file's header and payload checksum without interpreting the payload.</summary>
    public static string? Verify(string path, out SnapshotHeader header)
    {
        return TryLoad<object>(path, static (s, _) => s, null, out _, out header);
    }

    private static string? TryLoad<T>(string path, Func<Stream, SnapshotHeader, T> readPayload, Func<T, SnapshotHeader, string?>? validate, out T? state, out SnapshotHeader header)
        where T : class
    {
        state = null;
        header = default;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> headerBytes = stackalloc byte[SnapshotHeader.SizeBytes];
            int read = file.ReadAtLeast(headerBytes, SnapshotHeader.SizeBytes, throwOnEndOfStream: false);
            SnapshotHeader? parsed = SnapshotHeader.TryRead(headerBytes[..read], out string? error);
            if (parsed is null) return error;
            header = parsed.Value;
            long expectedLength = SnapshotHeader.SizeBytes + header.PayloadBytes;
            if (file.Length != expectedLength) return $"file is {file.Length} bytes, header says {expectedLength}";
            var hashing = new HashingReadStream(new BufferedStream(file, 1 << 20), header.PayloadBytes);
            T candidate = readPayload(hashing, header);
            ulong hash = hashing.DrainAndHash();
            if (hash != header.PayloadHash) return $"payload checksum mismatch (stored {header.PayloadHash:x16}, computed {hash:x16})";
            string? invalid = validate?.Invoke(candidate, header);
            if (invalid is not null) return invalid;
            state = candidate;
            return null;
        }
        catch (InvalidDataException ex) { return "payload rejected: " + ex.Message; }
        catch (EndOfStreamException ex) { return "payload truncated: " + ex.Message; }
        catch (IOException ex) { return "I/O error: " + ex.Message; }
    }

    /// <summary>
    /// Where a snapshot received from another replica is written while it arrives (consensus InstallSnapshot). Not a
    /// <c>.snap</c> name, so loading and retention never take it for a snapshot.
    /// </summary>
    public string ReceivePath => Path.Combine(Directory, Prefix + "-receive.part");

    /// <summary>
    /// Reads and checks a snapshot file's header only (cheap): the header's own checksum, and the file length it implies.
    /// <paramref name="selfChecksum"/> is the header's self-hash, which covers the payload hash: it names the content.
    /// </summary>
    public static string? ReadHeader(string path, out SnapshotHeader header, out ulong selfChecksum)
    {
        header = default;
        selfChecksum = 0;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096);
            Span<byte> bytes = stackalloc byte[SnapshotHeader.SizeBytes];
            int read = file.ReadAtLeast(bytes, SnapshotHeader.SizeBytes, throwOnEndOfStream: false);
            SnapshotHeader? parsed = SnapshotHeader.TryRead(bytes[..read], out string? error);
            if (parsed is null) return error;
            header = parsed.Value;
            selfChecksum = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[88..]);
            long expected = SnapshotHeader.SizeBytes + header.PayloadBytes;
            return file.Length == expected ? null : $"file is {file.Length} bytes, header says {expected}";
        }
        catch (IOException ex) { return "I/O error: " + ex.Message; }
        catch (UnauthorizedAccessException ex) { return "access denied: " + ex.Message; }
    }

    /// <summary>
    /// Installs a snapshot received from another replica: verifies <paramref name="receivedPath"/> completely (header,
    /// length, payload checksum), then renames it into place and syncs the directory (the commit point: a crash before
    /// leaves no trace but the temporary file, after leaves a complete snapshot). The caller synced the file's bytes.
    /// Returns null on success, else why the file was refused (it is then deleted).
    /// </summary>
    public string? InstallReceived(string receivedPath, out SnapshotHeader header)
    {
        ArgumentException.ThrowIfNullOrEmpty(receivedPath);
        string? error = Verify(receivedPath, out header);
        return MoveIntoPlace(receivedPath, header.Index, error);
    }

    /// <summary>
    /// As <see cref="InstallReceived"/>, for a receiver that hashed the payload as it wrote it (so the file need not be
    /// read again: a snapshot of a GiB took ~0.1 s to re-read and hash): <paramref name="header"/> is the file's header
    /// (read and length-checked by <see cref="ReadHeader"/>), <paramref name="payloadHash"/> the XxHash64 of every byte
    /// written after it. Refused (and deleted) unless it equals the header's payload checksum.
    /// </summary>
    public string? InstallReceivedHashed(string receivedPath, in SnapshotHeader header, ulong payloadHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(receivedPath);
        string? error = payloadHash == header.PayloadHash ? null : $"payload checksum mismatch (stored {header.PayloadHash:x16}, computed {payloadHash:x16})";
        return MoveIntoPlace(receivedPath, header.Index, error);
    }

    /// <summary>Renames a verified received file into place and syncs the directory; deletes it when <paramref name="error"/> is set or that fails.</summary>
    private string? MoveIntoPlace(string receivedPath, long index, string? error)
    {
        if (error is null)
        {
            try
            {
                File.Move(receivedPath, PathFor(index), overwrite: true);
                Journal.NativeDurability.SyncDirectory(Directory);
                return null;
            }
            catch (IOException ex) { error = "I/O error installing: " + ex.Message; }
            catch (UnauthorizedAccessException ex) { error = "access denied installing: " + ex.Message; }
        }

        DeleteQuietly(receivedPath);
        return error;
    }

    private void ApplyRetention()
    {
        IReadOnlyList<(long Index, string FilePath)> files = ListFiles();
        for (int i = RetainCount; i < files.Count; i++) File.Delete(files[i].FilePath);
        foreach (string temp in System.IO.Directory.EnumerateFiles(Directory, Prefix + "-*" + FileSuffix + TempSuffix)) File.Delete(temp);
    }
}
