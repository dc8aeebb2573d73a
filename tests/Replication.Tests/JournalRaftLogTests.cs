using Wallet.Engine.Journal;

namespace Wallet.Replication.Tests;

public sealed class JournalRaftLogTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Journal OpenJournal(FsyncPolicy fsync = FsyncPolicy.Batch) =>
        Journal.Open(new JournalOptions { Directory = _dir.Path, SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = 4096, Fsync = fsync });

    [Fact]
    public void Appends_reads_terms_and_durability()
    {
        using var journal = OpenJournal();
        using var log = new JournalRaftLog(journal);
        Assert.Equal(0, log.LastIndex);
        Assert.Equal(0, log.LastTerm);
        Assert.Equal(0, log.TermAt(0));
        Assert.Equal(-1, log.TermAt(1));
        for (var i = 1; i <= 2000; i++) log.Append(2, i, 1 + i / 700, 1000 + i, new byte[] { (byte)i, (byte)(i >> 8) });
        Assert.Equal(2000, log.LastIndex);
        Assert.Equal(3, log.LastTerm);
        Assert.Equal(0, log.DurableIndex);
        Assert.Equal(2000, log.Flush());
        Assert.Equal(1, log.TermAt(699));
        Assert.Equal(2, log.TermAt(700));
        Assert.Equal(3, log.TermAt(2000));
        Assert.Equal(-1, log.TermAt(2001));

        // Two cursors interleaved, plus a jump backwards.
        for (long i = 1; i <= 2000; i++)
        {
            Assert.True(log.TryRead(0, i, out var a));
            Assert.Equal(i, a.Index);
            Assert.Equal((byte)i, a.Payload[0]);
            Assert.True(log.TryRead(1, 2001 - i, out var b));
            Assert.Equal(2001 - i, b.Index);
            Assert.Equal(1000 + 2001 - i, b.TimestampNs);
        }

        Assert.False(log.TryRead(0, 2001, out _));
        Assert.False(log.TryRead(99, 1, out _));
    }

    [Fact]
    public void Truncate_drops_the_suffix_and_terms_then_appends_continue()
    {
        using var journal = OpenJournal();
        using var log = new JournalRaftLog(journal);
        for (var i = 1; i <= 10; i++) log.Append(2, i, i <= 5 ? 1 : 2, i, [1]);
        log.Flush();
        Assert.True(log.TryRead(0, 8, out _));
        log.TruncateAfter(5);
        Assert.Equal(5, log.LastIndex);
        Assert.Equal(5, log.DurableIndex);
        Assert.Equal(1, log.LastTerm);
        Assert.Equal(-1, log.TermAt(6));
        log.Append(2, 6, 3, 6, [7]);
        Assert.Equal(3, log.TermAt(6));
        Assert.True(log.TryRead(0, 6, out var e));
        Assert.Equal(7, e.Payload[0]);
        Assert.Equal(3, e.Term);
    }

    [Fact]
    public void Reopen_rebuilds_the_term_cache_from_the_journal()
    {
        using (var journal = OpenJournal())
        using (var log = new JournalRaftLog(journal))
        {
            for (var i = 1; i <= 30; i++) log.Append(2, i, (i + 9) / 10, i, [1]);
            log.Flush();
        }

        using var reopened = OpenJournal();
        using var again = new JournalRaftLog(reopened);
        Assert.Equal(30, again.LastIndex);
        Assert.Equal(30, again.DurableIndex);
        Assert.Equal(1, again.TermAt(10));
        Assert.Equal(2, again.TermAt(11));
        Assert.Equal(3, again.TermAt(30));
        Assert.Equal(30, again.LastTimestampNs);
    }

    [Fact]
    public void Fsync_always_makes_every_append_durable()
    {
        using var journal = OpenJournal(FsyncPolicy.Always);
        using var log = new JournalRaftLog(journal);
        log.Append(2, 1, 1, 1, [1]);
        Assert.Equal(1, log.DurableIndex);
    }

    [Fact]
    public void A_raft_node_runs_over_the_journal()
    {
        using var journal = OpenJournal();
        using var log = new JournalRaftLog(journal);
        var store = new FileRaftStateStore(Path.Combine(_dir.Path, "raft.state"));
        var node = new RaftNode(new RaftOptions { NodeId = 1, Members = [1] }, log, store, new Simulation.SimRandom(1), new NullOutbox());
        node.Tick(0);
        node.Tick(10_000);
        Assert.Equal(RaftRole.Leader, node.Role);
        var index = node.Propose(2, 5, [1, 2, 3]);
        node.Flush(10_000);
        Assert.Equal(index, node.CommitIndex);
        Assert.Equal(RaftEntryType.NewLeaderTerm, ReadType(log, 1));
        Assert.Equal(1, store.Load().CurrentTerm);
    }

    private static ushort ReadType(JournalRaftLog log, long index)
    {
        Assert.True(log.TryRead(5, index, out var e));
        return e.Type;
    }

    private sealed class NullOutbox : IRaftOutbox
    {
        public void Send(int toNode, ReadOnlySpan<byte> message) => throw new InvalidOperationException("a single node sends nothing");
    }
}
