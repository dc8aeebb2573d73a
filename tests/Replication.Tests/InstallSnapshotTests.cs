using System.Buffers.Binary;
using Wallet.Engine.Journal;
using Wallet.Engine.Snapshots;
using Wallet.Replication.Sbe;
using Wallet.Replication.Simulation;

namespace Wallet.Replication.Tests;

/// <summary>InstallSnapshot in the protocol (hand-driven cluster) and the production adapters (journal boundary, snapshot files).</summary>
public sealed class InstallSnapshotTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Snapshots every live node at its commit index (fake 20 KiB state: the node never reads it) and compacts its log below it minus a margin.</summary>
    private static RaftSnapshotMeta SnapshotAndCompact(TestCluster c, int id, int margin)
    {
        var node = c.Nodes[id];
        var log = c.Logs[id];
        var index = node.CommitIndex;
        var payload = new byte[20_000];
        for (var i = 0; i < payload.Length; i++) payload[i] = (byte)(i * 7 + index);
        var meta = c.Snapshots[id].Save(index, log.TermAt(index), 1_000_000 + index, (UInt128)index, payload);
        log.CompactBefore(index - margin + 1);
        return meta;
    }

    private static (TestCluster C, RaftNode Leader, int Lagging, RaftSnapshotMeta Snapshot) LeaderCompactedPastAFollower(int chunkBytes = 1024,
        int readBytesPerFlush = 1 << 20)
    {
        var c = new TestCluster(3, maxMessageBytes: 4096, maxInFlight: 8192, snapshots: true, snapshotChunkBytes: chunkBytes,
            snapshotReadBytesPerFlush: readBytesPerFlush);
        var leader = c.ElectLeader();
        for (var i = 0; i < 20; i++) leader.Propose(2, 1_000_000 + i, [1, 2, 3]);
        c.Run(20);
        var lagging = c.Ids.First(i => i != leader.NodeId);
        c.Isolate(lagging);
        for (var i = 0; i < 200; i++) leader.Propose(2, 2_000_000 + i, [4, 5, 6]);
        c.Run(50);
        RaftSnapshotMeta meta = default;
        foreach (var id in c.Ids)
        {
            if (id != lagging) meta = SnapshotAndCompact(c, id, margin: 10);
        }

        Assert.True(c.Logs[leader.NodeId].FirstIndex > c.Logs[lagging].LastIndex + 1);
        return (c, leader, lagging, meta);
    }

    [Fact]
    public void A_follower_behind_the_compacted_log_receives_the_snapshot_in_chunks_installs_it_and_continues_from_the_log()
    {
        var (c, leader, lagging, snapshot) = LeaderCompactedPastAFollower();
        c.Cut.Clear();
        c.Run(300);

        var follower = c.Nodes[lagging];
        Assert.Equal(1, follower.SnapshotInstalls);
        Assert.Equal(snapshot, follower.LastInstalledSnapshot);
        Assert.True(leader.Counters.SnapshotChunksSent >= snapshot.SizeBytes / 1024);
        Assert.Equal(1, leader.Counters.SnapshotTransfersCompleted);
        Assert.Equal(0, leader.Counters.SnapshotRequired);
        // The follower's log restarted after the snapshot, knows the boundary term, and holds the rest of the leader's log.
        var log = c.Logs[lagging];
        Assert.Equal(snapshot.Index + 1, log.FirstIndex);
        Assert.Equal(snapshot.Term, log.TermAt(snapshot.Index));
        Assert.Equal(c.Logs[leader.NodeId].LastIndex, log.LastIndex);
        Assert.Equal(leader.CommitIndex, follower.CommitIndex);
        Assert.True(c.Snapshots[lagging].TryGetNewestFile(out var installed, out var bytes));
        Assert.Equal(snapshot, installed);
        Assert.Null(SimSnapshotStore.Verify(bytes, snapshot));

        // New entries reach it through AppendEntries again.
        var index = leader.Propose(2, 9_000_000, [9]);
        c.Run(20);
        Assert.Equal(index, c.Nodes[lagging].LastIndex);
        Assert.Equal(index, c.Nodes[lagging].CommitIndex);
    }

    [Fact]
    public void A_follower_restarted_mid_transfer_makes_the_leader_start_again_from_zero()
    {
        var (c, leader, lagging, snapshot) = LeaderCompactedPastAFollower();
        c.Cut.Clear();
        // Let a few chunks through (one network leg at a time), then crash the follower: its partial receive is gone.
        c.NowMs++;
        foreach (var n in c.Nodes.Values) n.Tick(c.NowMs);
        c.FlushAll();
        for (var i = 0; i < 8 && leader.Counters.SnapshotChunksSent < 4; i++) c.DeliverRound();
        Assert.True(leader.Counters.SnapshotChunksSent > 0);
        Assert.Equal(0, c.Nodes[lagging].SnapshotInstalls);
        c.Snapshots[lagging].Crash();
        c.Restart(lagging);
        c.Run(400);

        Assert.True(leader.Counters.SnapshotTransferRestarts >= 1);
        Assert.Equal(1, c.Nodes[lagging].SnapshotInstalls);
        Assert.Equal(c.Logs[leader.NodeId].LastIndex, c.Logs[lagging].LastIndex);
        Assert.Equal(snapshot.Index + 1, c.Logs[lagging].FirstIndex);
    }

    [Fact]
    public void Chunks_are_bounded_by_the_window_and_a_lost_chunk_is_resent_from_the_acknowledged_offset()
    {
        var (c, leader, lagging, snapshot) = LeaderCompactedPastAFollower();
        c.Cut.Clear();
        // Deliver by hand: the probe chunk first, then the windowed stream; drop one chunk in the middle.
        var dropped = false;
        for (var step = 0; step < 600 && c.Nodes[lagging].SnapshotInstalls == 0; step++)
        {
            c.NowMs++;
            foreach (var n in c.Nodes.Values) n.Tick(c.NowMs);
            c.FlushAll();
            var chunks = c.Wire.Where(m => m.From == leader.NodeId && m.To == lagging && IsChunk(m.Bytes)).ToList();
            var inFlight = chunks.Sum(m => m.Bytes.Length);
            Assert.True(inFlight <= 8192 + 4096, $"{inFlight} chunk bytes in one round, window 8192");
            if (!dropped && chunks.Count > 1 && ChunkOffset(chunks[1].Bytes) > 0)
            {
                c.Wire.Remove(chunks[1]);
                dropped = true;
            }

            c.DeliverRound();
        }

        Assert.True(dropped);
        Assert.Equal(1, c.Nodes[lagging].SnapshotInstalls);
        Assert.True(leader.Counters.SnapshotTransferRestarts >= 1);
        Assert.Equal(snapshot, c.Nodes[lagging].LastInstalledSnapshot);
    }

    [Fact]
    public void The_leader_reads_at_most_its_budget_of_snapshot_bytes_per_flush_and_the_transfer_still_completes()
    {
        // Budget 2 KiB = 2 chunks per flush, against a window of 8 KiB: the consensus thread's disk reads stay bounded.
        var (c, leader, lagging, snapshot) = LeaderCompactedPastAFollower(chunkBytes: 1024, readBytesPerFlush: 2048);
        c.Cut.Clear();
        int most = 0;
        for (var step = 0; step < 2000 && c.Nodes[lagging].SnapshotInstalls == 0; step++)
        {
            c.NowMs++;
            long before = leader.Counters.SnapshotChunksSent;
            leader.Tick(c.NowMs);
            leader.Flush(c.NowMs);
            most = Math.Max(most, (int)(leader.Counters.SnapshotChunksSent - before));
            // One network leg at a time, the leader flushing after each message it receives (as its driver does).
            foreach (var (from, to, bytes) in c.Wire.ToArray())
            {
                c.Wire.Remove((from, to, bytes));
                before = leader.Counters.SnapshotChunksSent;
                c.Nodes[to].Receive(from, bytes, c.NowMs);
                c.Nodes[to].Flush(c.NowMs);
                if (to == leader.NodeId) most = Math.Max(most, (int)(leader.Counters.SnapshotChunksSent - before));
            }
            foreach (var n in c.Nodes.Values) n.Tick(c.NowMs);
        }

        Assert.Equal(1, c.Nodes[lagging].SnapshotInstalls);
        Assert.Equal(snapshot, c.Nodes[lagging].LastInstalledSnapshot);
        Assert.Equal(2, most); // the budget was used, never exceeded
        Assert.Throws<ArgumentException>(() => new RaftOptions { NodeId = 1, Members = [1, 2, 3], SnapshotReadBytesPerFlush = 0 }.Validate());
    }

    private static bool IsChunk(byte[] m) => BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(2)) == InstallSnapshotDecoder.TemplateId;

    private static long ChunkOffset(byte[] m) => InstallSnapshotDecoder.WrapWithHeader(m, 0).ChunkOffset;

    [Fact]
    public void A_garbled_transfer_is_rejected_by_verification_and_sent_again()
    {
        var c = new TestCluster(3, maxMessageBytes: 4096, maxInFlight: 8192, snapshots: true);
        var leader = c.ElectLeader();
        var follower = c.Ids.First(i => i != leader.NodeId);
        c.Isolate(follower);
        for (var i = 0; i < 100; i++) leader.Propose(2, 2_000_000 + i, [4]);
        c.Run(30);
        foreach (var id in c.Ids)
        {
            if (id != follower) SnapshotAndCompact(c, id, margin: 5);
        }

        c.Cut.Clear();
        // Flip one byte of one chunk on the wire inside the data (the SBE frame stays valid): the file will not verify.
        var flipped = false;
        for (var step = 0; step < 800 && c.Nodes[follower].SnapshotInstalls == 0; step++)
        {
            c.NowMs++;
            foreach (var n in c.Nodes.Values) n.Tick(c.NowMs);
            c.FlushAll();
            if (!flipped)
            {
                var chunk = c.Wire.FirstOrDefault(m => m.To == follower && IsChunk(m.Bytes) && ChunkOffset(m.Bytes) > 0);
                if (chunk.Bytes is not null)
                {
                    chunk.Bytes[^10] ^= 0x40;
                    flipped = true;
                }
            }

            c.DeliverRound();
        }

        Assert.True(flipped);
        Assert.Equal(1, c.Nodes[follower].Counters.SnapshotsRejected);
        Assert.Equal(1, c.Nodes[follower].SnapshotInstalls);
        Assert.True(c.Snapshots[follower].TryGetNewestFile(out var meta, out var bytes));
        Assert.Null(SimSnapshotStore.Verify(bytes, meta));
    }

    [Fact]
    public void Malformed_snapshot_messages_are_counted_and_dropped()
    {
        var c = new TestCluster(3, snapshots: true);
        var node = c.Nodes[1];
        byte[] Chunk(long term, long index, long snapTerm, long total, long offset, bool last, int dataLength, int declaredLength = -1)
        {
            var buffer = new byte[256 + dataLength];
            var e = InstallSnapshotEncoder.WrapAndApplyHeader(buffer, 0);
            e.Term = term;
            e.SnapshotIndex = index;
            e.SnapshotTerm = snapTerm;
            e.SnapshotTimestampNs = 5;
            e.TotalBytes = total;
            e.ChunkOffset = offset;
            e.Checksum = 42;
            e.LeaderCommit = 0;
            e.Last = last ? BooleanType.True : BooleanType.False;
            e.PutData(new byte[dataLength]);
            var bytes = buffer.AsSpan(0, e.Limit).ToArray();
            if (declaredLength >= 0) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8 + InstallSnapshotEncoder.BlockLength), (uint)declaredLength);
            return bytes;
        }

        var bad = new[]
        {
            Chunk(1, 10, 1, 100, 0, false, 50, declaredLength: 500), // data longer than the message
            Chunk(1, 10, 2, 100, 0, false, 50),                      // snapshot term above the leader's term
            Chunk(1, 10, 1, 100, 60, false, 50),                     // runs past the total size
            Chunk(1, 10, 1, 100, 50, false, 50),                     // ends the file without the last flag
            Chunk(1, 10, 1, 100, 0, true, 50),                       // last flag before the end
            Chunk(1, 10, 1, 0, 0, false, 0),                         // empty snapshot
            Chunk(1, 10, 1, 1L << 50, 0, false, 50),                 // above MaxSnapshotBytes
            Chunk(1, -1, 1, 100, 0, false, 50),                      // negative index
        };
        foreach (var m in bad) node.Receive(2, m, 0);
        Assert.Equal(bad.Length, node.Counters.MalformedMessages);
        Assert.Equal(0, node.Term);

        // Well-formed, from a leader of term 1: accepted (first chunk) and acknowledged with the offset received.
        c.Wire.Clear();
        node.Receive(2, Chunk(1, 10, 1, 100, 0, false, 50), 0);
        Assert.Equal(bad.Length, node.Counters.MalformedMessages);
        var ack = InstallSnapshotResponseDecoder.WrapWithHeader(c.Wire.Single(m => m.From == 1).Bytes, 0);
        Assert.Equal(SnapshotChunkStatus.Accepted, ack.Status);
        Assert.Equal(50, ack.NextOffset);
        // A chunk after a gap asks for a resend from what was received.
        c.Wire.Clear();
        node.Receive(2, Chunk(1, 10, 1, 100, 99, true, 1), 0);
        ack = InstallSnapshotResponseDecoder.WrapWithHeader(c.Wire.Single(m => m.From == 1).Bytes, 0);
        Assert.Equal(SnapshotChunkStatus.Restart, ack.Status);
        Assert.Equal(50, ack.NextOffset);
    }

    [Fact]
    public void The_journal_log_keeps_the_boundary_term_through_compaction_reset_and_reopen()
    {
        var options = new JournalOptions { Directory = _dir.Path, SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = 4096, Fsync = FsyncPolicy.Batch };
        using (var journal = Journal.Open(options))
        using (var log = new JournalRaftLog(journal))
        {
            for (var i = 1; i <= 3000; i++) log.Append(2, i, i <= 1500 ? 1 : 2, 1000 + i, new byte[100]);
            log.Flush();
            Assert.True(log.CompactBefore(2000) > 0);
            var first = log.FirstIndex;
            Assert.True(first > 1 && first <= 2000);
            Assert.Equal(first - 1 <= 1500 ? 1 : 2, log.TermAt(first - 1)); // the boundary term comes from the segment header
            Assert.Equal(-1, log.TermAt(first - 2));
            Assert.Equal(-1, log.TermAt(0));
            Assert.False(log.TryRead(0, first - 1, out _));
            Assert.True(log.TryRead(0, first, out _));

            log.ResetAfterSnapshot(5000, 3, 9000);
            Assert.Equal(5001, log.FirstIndex);
            Assert.Equal(5000, log.LastIndex);
            Assert.Equal(3, log.LastTerm);
            Assert.Equal(3, log.TermAt(5000));
            Assert.Equal(9000, log.LastTimestampNs);
            Assert.Equal(5000, log.DurableIndex);
            Assert.Throws<ArgumentException>(() => log.Append(2, 5001, 3, 8999, [1])); // time never goes back past the snapshot
            log.Append(2, 5001, 4, 9001, [1]);
            log.Flush();
        }

        using (var journal = Journal.Open(options))
        using (var log = new JournalRaftLog(journal))
        {
            Assert.Equal(5001, log.FirstIndex);
            Assert.Equal(5001, log.LastIndex);
            Assert.Equal(3, log.TermAt(5000));
            Assert.Equal(4, log.TermAt(5001));
            Assert.True(log.TryRead(0, 5001, out var e));
            Assert.Equal(9001, e.TimestampNs);
        }
    }

    [Fact]
    public void File_snapshot_store_streams_the_newest_snapshot_and_installs_only_a_verified_copy()
    {
        var leaderDir = System.IO.Path.Combine(_dir.Path, "leader");
        var followerDir = System.IO.Path.Combine(_dir.Path, "follower");
        var leaderFiles = new SnapshotStore(leaderDir);
        var payload = new byte[50_000];
        new Random(5).NextBytes(payload);
        leaderFiles.Write(10, 1, 100, 1, s => s.Write(payload.AsSpan(0, 1000)));
        leaderFiles.Write(77, 2, 700, 7, s => s.Write(payload));
        using var leader = new FileRaftSnapshotStore(leaderFiles, 3);
        Assert.True(leader.TryGetNewest(out var meta));
        Assert.Equal((77L, 2L, 700L, SnapshotHeader.SizeBytes + 50_000L), (meta.Index, meta.Term, meta.TimestampNs, meta.SizeBytes));

        using var follower = new FileRaftSnapshotStore(new SnapshotStore(followerDir), 3);
        var chunk = new byte[4096];

        // A copy with one flipped byte is refused and leaves nothing behind.
        Assert.True(follower.BeginReceive(meta));
        for (long offset = 0; offset < meta.SizeBytes;)
        {
            var n = leader.Read(1, meta, offset, chunk);
            Assert.True(n > 0);
            if (offset == 8192) chunk[100] ^= 1;
            Assert.True(follower.Write(chunk.AsSpan(0, n)));
            offset += n;
        }

        Assert.False(follower.TryInstall(meta, out var error));
        Assert.Contains("checksum", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(followerDir));

        // A faithful copy is installed under the snapshot's name, and verifies.
        Assert.True(follower.BeginReceive(meta));
        for (long offset = 0; offset < meta.SizeBytes;)
        {
            var n = leader.Read(1, meta, offset, chunk);
            Assert.True(follower.Write(chunk.AsSpan(0, n)));
            offset += n;
        }

        Assert.True(follower.TryInstall(meta, out error), error);
        var installed = new SnapshotStore(followerDir).PathFor(77);
        Assert.Null(SnapshotStore.Verify(installed, out var header));
        Assert.Equal(77, header.Index);
        Assert.False(File.Exists(new SnapshotStore(followerDir).ReceivePath));

        // A snapshot that is not the one announced is refused (here: announced with another checksum).
        Assert.True(follower.BeginReceive(meta with { Checksum = meta.Checksum ^ 1 }));
        for (long offset = 0; offset < meta.SizeBytes;)
        {
            var n = leader.Read(2, meta, offset, chunk);
            Assert.True(follower.Write(chunk.AsSpan(0, n)));
            offset += n;
        }

        Assert.False(follower.TryInstall(meta with { Checksum = meta.Checksum ^ 1 }, out _));
        Assert.Equal(0, follower.WritebacksStarted); // 50 KB: below the early write-out step
        // The leader's reader refuses a snapshot that is gone or not the one announced.
        Assert.Equal(-1, leader.Read(0, meta with { Index = 78 }, 0, chunk));
        Assert.Equal(-1, leader.Read(0, meta with { Checksum = 3 }, 0, chunk));
    }
    [Fact]
    public void A_large_snapshot_is_written_out_while_it_arrives_and_installs_byte_for_byte()
    {
        var leaderDir = System.IO.Path.Combine(_dir.Path, "leader-large");
        var followerDir = System.IO.Path.Combine(_dir.Path, "follower-large");
        var leaderFiles = new SnapshotStore(leaderDir);
        // 20 MiB + a tail: two early write-outs (at 8 and 16 MiB), the rest left to the install's fsync.
        var payload = new byte[(20 << 20) + 12_345];
        new Random(9).NextBytes(payload);
        leaderFiles.Write(500, 3, 9_000, 1, s => s.Write(payload));
        using var leader = new FileRaftSnapshotStore(leaderFiles, 1);
        Assert.True(leader.TryGetNewest(out var meta));
        using var follower = new FileRaftSnapshotStore(new SnapshotStore(followerDir), 1);
        var chunk = new byte[256 << 10];
        Assert.True(follower.BeginReceive(meta));
        for (long offset = 0; offset < meta.SizeBytes;)
        {
            var n = leader.Read(0, meta, offset, chunk);
            Assert.True(n > 0);
            Assert.True(follower.Write(chunk.AsSpan(0, n)));
            offset += n;
        }

        if (OperatingSystem.IsLinux()) Assert.Equal(meta.SizeBytes / FileRaftSnapshotStore.WritebackEveryBytes, follower.WritebacksStarted);
        Assert.True(follower.TryInstall(meta, out var error), error);
        var installed = new SnapshotStore(followerDir).PathFor(500);
        Assert.Null(SnapshotStore.Verify(installed, out var header));
        Assert.Equal(500, header.Index);
        Assert.True(File.ReadAllBytes(installed).AsSpan().SequenceEqual(File.ReadAllBytes(leaderFiles.PathFor(500))));

        // A new transfer counts from its own first byte: one byte short of the step starts nothing, the next byte does.
        long before = follower.WritebacksStarted;
        Assert.True(follower.BeginReceive(meta));
        for (int left = FileRaftSnapshotStore.WritebackEveryBytes - 1; left > 0;)
        {
            int n = Math.Min(left, chunk.Length);
            Assert.True(follower.Write(chunk.AsSpan(0, n)));
            left -= n;
        }
        Assert.Equal(before, follower.WritebacksStarted);
        Assert.True(follower.Write(chunk.AsSpan(0, 1)));
        if (OperatingSystem.IsLinux()) Assert.Equal(before + 1, follower.WritebacksStarted);
        follower.AbortReceive();
    }
    [Theory]
    [InlineData(-1)]                        // a faithful copy
    [InlineData(SnapshotHeader.SizeBytes)]  // the first payload byte flipped
    [InlineData(SnapshotHeader.SizeBytes - 1)] // the last header byte flipped
    [InlineData(SnapshotHeader.SizeBytes + 30_000)]
    public void The_payload_hashed_while_written_accepts_only_the_exact_bytes_whatever_the_chunking(int flipAt)
    {
        var leaderDir = System.IO.Path.Combine(_dir.Path, "leader-odd");
        var followerDir = System.IO.Path.Combine(_dir.Path, "follower-odd");
        var leaderFiles = new SnapshotStore(leaderDir);
        var payload = new byte[70_000];
        new Random(21).NextBytes(payload);
        leaderFiles.Write(42, 2, 4_200, 1, s => s.Write(payload));
        byte[] file = File.ReadAllBytes(leaderFiles.PathFor(42));
        using var leader = new FileRaftSnapshotStore(leaderFiles, 1);
        Assert.True(leader.TryGetNewest(out var meta));
        if (flipAt >= 0) file[flipAt] ^= 0x10;

        using var follower = new FileRaftSnapshotStore(new SnapshotStore(followerDir), 1);
        Assert.True(follower.BeginReceive(meta));
        // Chunks that end before, at, just after and far past the header's end.
        int[] sizes = [1, 7, 50, 37, 1, 1, 4096, 65_536];
        int offset = 0;
        for (int i = 0; offset < file.Length; i++)
        {
            int n = Math.Min(sizes[i % sizes.Length], file.Length - offset);
            Assert.True(follower.Write(file.AsSpan(offset, n)));
            offset += n;
        }

        bool installed = follower.TryInstall(meta, out var error);
        if (flipAt < 0)
        {
            Assert.True(installed, error);
            Assert.Null(SnapshotStore.Verify(new SnapshotStore(followerDir).PathFor(42), out _));
        }
        else
        {
            Assert.False(installed);
            Assert.Contains("checksum", error, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(followerDir));
        }
    }
}
