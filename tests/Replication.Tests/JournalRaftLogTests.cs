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

    /// <summary>Terms change inside segments, exactly at segment boundaries, and not at all for many segments.</summary>
    private static long TermOfEntry(long index) => index switch
    {
        < 150 => 1,
        < 151 => 2,        // a one-entry term
        < 1200 => 3,       // many segments of one term
        < 1300 => 5,
        _ => 8,
    };

    [Theory]
    [InlineData(JournalOpenValidation.AllRecords)]
    [InlineData(JournalOpenValidation.LastSegment)]
    public void Reopen_rebuilds_every_term_from_segment_headers_and_the_segments_where_it_changes(JournalOpenValidation validation)
    {
        var payload = new byte[1000];
        using (var journal = OpenJournal())
        using (var log = new JournalRaftLog(journal))
        {
            for (long i = 1; i <= 2000; i++) log.Append(2, i, TermOfEntry(i), i, payload);
            log.Flush();
        }
        // Put a term change exactly on a segment boundary: truncate to the end of a segment, then append a new term.
        long boundary;
        using (var journal = OpenJournal())
        {
            string[] files = Directory.GetFiles(_dir.Path, "journal-*.seg").Order(StringComparer.Ordinal).ToArray();
            Assert.True(files.Length > 20, $"{files.Length} segments");
            boundary = SegmentHeader.Read(File.ReadAllBytes(files[^3])).FirstIndex;
            journal.TruncateAfter(boundary - 1);
            for (long i = boundary; i < boundary + 200; i++) journal.Append(2, i, 13, i, payload);
        }

        long Expected(long i) => i < boundary ? TermOfEntry(i) : 13;
        using var reopened = Journal.Open(new JournalOptions
        {
            Directory = _dir.Path, SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = 4096, Fsync = FsyncPolicy.Batch,
            OpenValidation = validation,
        });
        using var log2 = new JournalRaftLog(reopened);
        Assert.Equal(boundary + 199, log2.LastIndex);
        for (long i = 1; i <= log2.LastIndex; i++) Assert.Equal(Expected(i), log2.TermAt(i));
        Assert.Equal(13, log2.LastTerm);
        Assert.Equal(-1, log2.TermAt(log2.LastIndex + 1));

        // Retention moves the first index: the terms left are still right.
        Assert.True(log2.Journal.DeleteSegmentsBefore(600) > 0);
        using var log3 = new JournalRaftLog(log2.Journal);
        Assert.Equal(log2.Journal.TermBeforeFirst, log3.TermAt(log3.FirstIndex - 1));
        for (long i = log3.FirstIndex; i <= log3.LastIndex; i++) Assert.Equal(Expected(i), log3.TermAt(i));
    }

    [Fact]
    public void Segments_of_one_term_are_not_read_to_build_the_term_cache()
    {
        var payload = new byte[1000];
        using (var journal = OpenJournal())
        using (var log = new JournalRaftLog(journal))
        {
            for (long i = 1; i <= 2000; i++) log.Append(2, i, TermOfEntry(i), i, payload);
            log.Flush();
        }
        // Damage a record in the middle of term 3 (segments that hold nothing else): a full read would throw.
        string[] files = Directory.GetFiles(_dir.Path, "journal-*.seg").Order(StringComparer.Ordinal).ToArray();
        string victim = files[files.Length / 3];
        byte[] bytes = File.ReadAllBytes(victim);
        bytes[4096] ^= 0x5A;
        File.WriteAllBytes(victim, bytes);

        using var reopened = Journal.Open(new JournalOptions
        {
            Directory = _dir.Path, SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = 4096, Fsync = FsyncPolicy.Batch,
            OpenValidation = JournalOpenValidation.LastSegment,
        });
        using var log2 = new JournalRaftLog(reopened);
        Assert.Equal(3, log2.TermAt(700));
        Assert.Equal(8, log2.LastTerm);
        // A reader passing it still finds it.
        using JournalReader reader = reopened.OpenReader(1);
        Assert.Throws<JournalCorruptException>(() => { while (reader.TryRead(out _)) { } });
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
