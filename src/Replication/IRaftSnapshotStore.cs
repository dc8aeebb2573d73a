namespace Wallet.Replication;

/// <summary>
/// The snapshot files of one replica as <see cref="RaftNode"/> sees them (InstallSnapshot, docs/REPLICATION.md). Used
/// on the node's driver thread only. The leader reads its newest snapshot in chunks; a follower receives one into a
/// temporary file and installs it atomically. Implementations: <c>FileRaftSnapshotStore</c> (production, over the
/// partition's snapshot directory) and the simulator's in-memory disk. I/O failures are reported as false, never thrown:
/// the protocol retries (the leader restarts the transfer from zero).
/// </summary>
public interface IRaftSnapshotStore
{
    /// <summary>Leader: the newest complete snapshot this replica holds; false when it holds none.</summary>
    bool TryGetNewest(out RaftSnapshotMeta meta);

    /// <summary>
    /// Leader: copies up to <paramref name="destination"/>.Length bytes of snapshot <paramref name="meta"/> from
    /// <paramref name="offset"/>; returns the count (0 at the end), or -1 when that snapshot is no longer available
    /// (retention replaced it) or cannot be read. <paramref name="cursor"/> is the follower's slot (one open file each).
    /// </summary>
    int Read(int cursor, in RaftSnapshotMeta meta, long offset, Span<byte> destination);

    /// <summary>Leader: the transfer on <paramref name="cursor"/> is over (installed or abandoned); release what it holds.</summary>
    void EndRead(int cursor);

    /// <summary>Follower: starts receiving <paramref name="meta"/> into a fresh temporary file (any partial one is discarded).</summary>
    bool BeginReceive(in RaftSnapshotMeta meta);

    /// <summary>Follower: appends the next bytes to the temporary file (the caller guarantees contiguity).</summary>
    bool Write(ReadOnlySpan<byte> data);

    /// <summary>
    /// Follower: all <c>SizeBytes</c> received. Syncs the temporary file, verifies the snapshot's own checksums and that it
    /// is exactly <paramref name="meta"/>, then installs it atomically (rename + directory sync: the commit point).
    /// False, with a reason, when anything does not verify; the temporary file is then discarded.
    /// </summary>
    bool TryInstall(in RaftSnapshotMeta meta, out string? error);

    /// <summary>Follower: drops a partial receive (a transfer of another snapshot, or a restart of this one).</summary>
    void AbortReceive();
}
