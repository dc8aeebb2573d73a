namespace Wallet.Replication;

/// <summary>
/// The leader's view of one follower: where to stream next (optimistic), what it has acknowledged as matching and
/// as durable, and the in-flight window. Two modes, as in the Raft thesis §10.2.1 flow control:
/// probing (one outstanding message until the follower's position is known) and replicating (pipelined messages
/// up to <c>MaxInFlightBytesPerFollower</c>, no stop-and-wait).
/// </summary>
internal sealed class PeerProgress
{
    private readonly long[] _batchEndIndex;
    private readonly int[] _batchBytes;
    private readonly int _maxInFlightBytes;
    private int _head;
    private int _count;

    public PeerProgress(int maxInFlightBytes, int maxMessageBytes)
    {
        _maxInFlightBytes = maxInFlightBytes;
        // Enough slots for the byte window filled with small messages; at least a few.
        var slots = Math.Clamp(maxInFlightBytes / Math.Max(1, maxMessageBytes / 64), 16, 4096);
        _batchEndIndex = new long[slots];
        _batchBytes = new int[slots];
    }

    /// <summary>Next index to send.</summary>
    public long NextIndex { get; set; }

    /// <summary>Highest index acknowledged as matching the leader's log.</summary>
    public long MatchIndex { get; set; }

    /// <summary>Highest matching index acknowledged as durable on the follower.</summary>
    public long DurableIndex { get; set; }

    public bool Probing { get; set; } = true;

    /// <summary>Probing: a message is outstanding (sent at <see cref="LastSendMs"/>).</summary>
    public bool ProbeOutstanding { get; set; }

    /// <summary>Time of the last response of the current term from this follower (CheckQuorum).</summary>
    public long LastResponseMs { get; set; }

    /// <summary>Time the window last made progress (or the first message entered an empty window).</summary>
    public long LastProgressMs { get; set; }

    public long LastSendMs { get; set; }

    /// <summary>Commit index carried by the last message sent.</summary>
    public long CommitSent { get; set; }

    public int InFlightBytes { get; private set; }

    /// <summary>
    /// Snapshot mode: the follower needs entries this log no longer holds, so the leader streams its newest snapshot
    /// (<see cref="Snapshot"/>) instead of entries. The in-flight window then holds chunk end offsets, not indexes.
    /// </summary>
    public bool Snapshotting { get; private set; }

    /// <summary>The snapshot being sent (Snapshotting).</summary>
    public RaftSnapshotMeta Snapshot { get; private set; }

    /// <summary>Next byte of the snapshot to send.</summary>
    public long SnapshotNextOffset { get; set; }

    /// <summary>Bytes the follower acknowledged as received contiguously.</summary>
    public long SnapshotAckedOffset { get; set; }

    /// <summary>Snapshot mode, after a start or restart: one chunk outstanding (ProbeOutstanding) until the follower answers.</summary>
    public bool SnapshotProbing { get; set; }

    public void BeginSnapshot(in RaftSnapshotMeta meta)
    {
        Snapshotting = true;
        Snapshot = meta;
        SnapshotNextOffset = 0;
        SnapshotAckedOffset = 0;
        SnapshotProbing = true;
        ProbeOutstanding = false;
        ClearInFlight();
    }

    public void EndSnapshot()
    {
        Snapshotting = false;
        Snapshot = default;
        SnapshotProbing = false;
        ProbeOutstanding = false;
        ClearInFlight();
    }

    public int InFlightCount => _count;

    public bool WindowFull => _count == _batchEndIndex.Length || InFlightBytes >= _maxInFlightBytes;

    public void Reset(long nextIndex)
    {
        NextIndex = nextIndex;
        MatchIndex = 0;
        DurableIndex = 0;
        Probing = true;
        ProbeOutstanding = false;
        CommitSent = 0;
        Snapshotting = false;
        Snapshot = default;
        SnapshotProbing = false;
        ClearInFlight();
    }

    public void ClearInFlight()
    {
        _head = 0;
        _count = 0;
        InFlightBytes = 0;
    }

    public void PushInFlight(long endIndex, int bytes)
    {
        var tail = (_head + _count) % _batchEndIndex.Length;
        _batchEndIndex[tail] = endIndex;
        _batchBytes[tail] = bytes;
        _count++;
        InFlightBytes += bytes;
    }

    /// <summary>Releases every batch whose last entry is at or below <paramref name="matchIndex"/>; true if any was released.</summary>
    public bool ReleaseUpTo(long matchIndex)
    {
        var released = false;
        while (_count > 0 && _batchEndIndex[_head] <= matchIndex)
        {
            InFlightBytes -= _batchBytes[_head];
            _head = (_head + 1) % _batchEndIndex.Length;
            _count--;
            released = true;
        }

        return released;
    }
}
