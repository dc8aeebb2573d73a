using System.Runtime.InteropServices;
using System.Text;
using RocksDbSharp;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The default write path turns each projection batch into up to five SST files (disjoint key ranges) and ingests them
/// in one call. These pin what that must keep true: a later batch's row wins over an earlier one (files overlap and get
/// newer sequence numbers), a
/// snapshot taken before an ingestion does not see it, L0 stays bounded, a query never sees a checkpoint without its
/// rows (or rows without their checkpoint), a file a crash left behind is ignored and deleted, and a cleared (rebuilt)
/// view does not bring old rows back after a reopen.
/// </summary>
public sealed class IngestPathTests
{
    private static readonly byte[] CheckpointKey = [ReadModelKeys.Checkpoint];

    [Fact]
    public void A_later_batch_wins_snapshots_stay_put_and_L0_stays_bounded()
    {
        using var dir = new TempDirectory("rm-ingest");
        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
        var ingester = new SstIngester(store.Db, store.IngestDirectory);
        using var a = new PendingBatch();
        using var b = new PendingBatch();
        byte[] account = Key(ReadModelKeys.Account, 7);
        byte[] status = Key(ReadModelKeys.Status, 9);
        byte[] transfer = Key(ReadModelKeys.Transfer, 9);
        byte[] userData = new byte[ReadModelKeys.UserDataKeyBytes];
        ReadModelKeys.WriteUserData(userData, 3, 7);
        byte[] time = new byte[ReadModelKeys.TimeKeyBytes];
        ReadModelKeys.WriteTime(time, 1000, 1);

        using var writer = new BatchWriter(store.Db, store.WriteOptions, ingester);
        // Batch 1: the same key twice in one batch (created, then closed): the later put is the one stored. Keys of
        // every table, added out of order: the file holds them in one ascending order.
        a.Puts.Put(userData, ""u8);
        a.Puts.Put(account, "created"u8);
        a.Puts.Put(status, "pending"u8);
        a.Puts.Put(time, ""u8);
        a.Puts.Put(account, "closed-1"u8);
        a.Transfers.Put(transfer, "t"u8);
        a.History.Add(7, new HistoryRow { Index = 1, Kind = LedgerEventKind.AccountCreated });
        a.History.Epoch = 1;
        a.Puts.Put(CheckpointKey, "pos-1"u8);
        a.Prepare();
        writer.Submit(a);
        writer.Wait();
        Assert.Equal("closed-1", Get(store.Db, account));
        Assert.Equal("pos-1", Get(store.Db, CheckpointKey));
        Assert.Equal("t", Get(store.Db, transfer));
        Assert.Equal("", Get(store.Db, userData));
        Assert.Empty(Directory.GetFiles(store.IngestDirectory)); // moved, not copied

        using Snapshot before = store.Db.CreateSnapshot();
        var atBefore = new ReadOptions().SetSnapshot(before);
        // Batch 2 overwrites the account row, the hold's status and the checkpoint.
        b.Puts.Put(account, "closed-2"u8);
        b.Puts.Put(status, "posted"u8);
        b.Puts.Put(CheckpointKey, "pos-2"u8);
        b.Prepare();
        writer.Submit(b);
        writer.Wait();
        Assert.Equal("closed-2", Get(store.Db, account));
        Assert.Equal("posted", Get(store.Db, status));
        Assert.Equal("pos-2", Get(store.Db, CheckpointKey));
        Assert.Equal("t", Get(store.Db, transfer)); // untouched by batch 2
        Assert.Equal("closed-1", Get(store.Db, account, atBefore));
        Assert.Equal("pending", Get(store.Db, status, atBefore));
        Assert.Equal("pos-1", Get(store.Db, CheckpointKey, atBefore));

        // Many overlapping files: each lands in L0 (or just above older data); compaction plus the ingester's wait
        // keep L0 bounded, and the newest value still wins after compaction moved older ones down.
        for (int i = 3; i <= 60; i++)
        {
            PendingBatch next = i % 2 == 0 ? a : b;
            next.Puts.Put(account, Encoding.ASCII.GetBytes("closed-" + i));
            next.Puts.Put(CheckpointKey, Encoding.ASCII.GetBytes("pos-" + i));
            next.Prepare();
            writer.Submit(next);
            writer.Wait();
            Assert.InRange(ingester.Level0Files(), 0, SstIngester.Level0WaitFiles);
        }
        Assert.Equal("closed-60", Get(store.Db, account));
        Assert.Equal("pos-60", Get(store.Db, CheckpointKey));
        store.Db.CompactRange([0x00], [0xFF]);
        Assert.Equal("closed-60", Get(store.Db, account));
        Assert.Equal("posted", Get(store.Db, status));
    }

    [Fact]
    public void Small_batches_go_through_the_memtable_large_ones_are_ingested_after_it_and_both_survive_a_reopen()
    {
        using var dir = new TempDirectory("rm-ingest-mixed");
        string viewPath = Path.Combine(dir.Path, ReadModelStore.DirectoryName);
        byte[] account = Key(ReadModelKeys.Account, 7);
        using (ReadModelStore store = ReadModelStore.Open(viewPath))
        {
            using var small = new PendingBatch();
            using var large = new PendingBatch();
            using var writer = new BatchWriter(store.Db, store.WriteOptions, new SstIngester(store.Db, store.IngestDirectory), ingestMinEvents: 3);
            long FilesInAllLevels()
            {
                long n = 0;
                for (int level = 0; level < 7; level++)
                    n += long.Parse(store.Db.GetProperty("rocksdb.num-files-at-level" + level), System.Globalization.CultureInfo.InvariantCulture);
                return n;
            }
            long MemtableEntries() => long.Parse(store.Db.GetProperty("rocksdb.num-entries-active-mem-table"), System.Globalization.CultureInfo.InvariantCulture);
            long filesAtStart = FilesInAllLevels();

            // Two events: below the threshold, so the memtable (no new file; the rows are in the active memtable).
            small.Puts.Put(account, "small"u8);
            small.Transfers.Put(Key(ReadModelKeys.Transfer, 1), "t1"u8);
            small.History.Add(7, new HistoryRow { Index = 1, Kind = LedgerEventKind.AccountCreated });
            small.History.Epoch = 1;
            small.Puts.Put(CheckpointKey, "pos-1"u8);
            small.Events = 2;
            small.Prepare();
            writer.Submit(small);
            writer.Wait();
            Assert.Equal(filesAtStart, FilesInAllLevels());
            Assert.True(MemtableEntries() >= 4, $"memtable entries {MemtableEntries()}");
            Assert.Equal("pos-1", Get(store.Db, CheckpointKey));

            // Three events: ingested. It overlaps the memtable (the checkpoint key at least), so RocksDB flushes the
            // memtable first: the small batch is on disk before the large one, and the large one's values are newer.
            large.Puts.Put(account, "large"u8);
            large.Transfers.Put(Key(ReadModelKeys.Transfer, 2), "t2"u8);
            large.History.Add(7, new HistoryRow { Index = 2, Kind = LedgerEventKind.TransferPosted });
            large.History.Epoch = 1;
            large.Puts.Put(CheckpointKey, "pos-2"u8);
            large.Events = 3;
            large.Prepare();
            writer.Submit(large);
            writer.Wait();
            Assert.Equal(0, MemtableEntries());
            Assert.True(FilesInAllLevels() >= filesAtStart + 2, "the flushed memtable and the ingested files");
            Assert.Equal("large", Get(store.Db, account));
            Assert.Equal("pos-2", Get(store.Db, CheckpointKey));
            Assert.Equal("t1", Get(store.Db, Key(ReadModelKeys.Transfer, 1)));
            Assert.Equal("t2", Get(store.Db, Key(ReadModelKeys.Transfer, 2)));
        }
        using (ReadModelStore reopened = ReadModelStore.OpenReadOnly(viewPath))
        {
            Assert.Equal("large", Get(reopened.Db, account));
            Assert.Equal("pos-2", Get(reopened.Db, CheckpointKey));
            Assert.Equal("t1", Get(reopened.Db, Key(ReadModelKeys.Transfer, 1)));
            Assert.Equal("t2", Get(reopened.Db, Key(ReadModelKeys.Transfer, 2)));
        }
    }

    [Fact]
    public void The_ingester_sees_the_real_L0_file_count_so_its_wait_can_hold()
    {
        // Regression: the count was read with RocksDB's integer accessor, which refuses this (string) property, so it was
        // always 0 and the wait for compaction never waited.
        using var dir = new TempDirectory("rm-ingest-l0");
        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
        var ingester = new SstIngester(store.Db, store.IngestDirectory);
        using var batch = new PendingBatch();
        using var writer = new BatchWriter(store.Db, store.WriteOptions, ingester);
        long most = 0;
        for (int i = 0; i < 12; i++)
        {
            // The same account row and checkpoint every time: each file overlaps the ones before, so once the levels
            // below are taken they pile up in L0 (compaction starts at 16 files).
            batch.Puts.Put(Key(ReadModelKeys.Account, 1), Encoding.ASCII.GetBytes("a" + i));
            batch.Puts.Put(CheckpointKey, Encoding.ASCII.GetBytes("pos-" + i));
            batch.Prepare();
            writer.Submit(batch);
            writer.Wait();
            long reported = long.Parse(store.Db.GetProperty("rocksdb.num-files-at-level0"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(reported, ingester.Level0Files());
            most = Math.Max(most, reported);
        }
        Assert.True(most >= 3, $"L0 never held more than {most} files: the test no longer exercises the count");

        // Read before every ingestion: no managed allocation (the text stays in native memory).
        ingester.Level0Files();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) ingester.Level0Files();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Transfer_files_overlap_nothing_and_go_to_the_last_level()
    {
        using var dir = new TempDirectory("rm-ingest-levels");
        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
        using var batch = new PendingBatch();
        using var writer = new BatchWriter(store.Db, store.WriteOptions, new SstIngester(store.Db, store.IngestDirectory));
        const int Batches = 12;
        for (int i = 0; i < Batches; i++)
        {
            // Every batch rewrites the same account row and the checkpoint (overlapping files) and adds new transfer
            // ids above all earlier ones (a file that overlaps nothing).
            batch.Puts.Put(Key(ReadModelKeys.Account, 1), Encoding.ASCII.GetBytes("a" + i));
            batch.Puts.Put(CheckpointKey, Encoding.ASCII.GetBytes("pos-" + i));
            for (int t = 0; t < 3; t++) batch.Transfers.Put(Key(ReadModelKeys.Transfer, (UInt128)(100 * i + t + 1)), "t"u8);
            batch.Prepare();
            writer.Submit(batch);
            writer.Wait();
        }
        // The last level (6 with RocksDB's default 7 levels) holds one transfer file per batch: none was placed higher
        // up or compacted; the overlapping [A C] files went above them.
        Assert.True(long.Parse(store.Db.GetProperty("rocksdb.num-files-at-level6"), System.Globalization.CultureInfo.InvariantCulture) >= Batches);
        long above = 0;
        for (int level = 0; level < 6; level++)
            above += long.Parse(store.Db.GetProperty("rocksdb.num-files-at-level" + level), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(above > 0);
        Assert.Equal("a11", Get(store.Db, Key(ReadModelKeys.Account, 1)));
        Assert.Equal("t", Get(store.Db, Key(ReadModelKeys.Transfer, 1103)));
    }

    [Fact]
    public void A_batch_with_a_key_out_of_order_fails_whole_and_nothing_lands()
    {
        using var dir = new TempDirectory("rm-ingest-bad");
        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
        using var batch = new PendingBatch();
        using var writer = new BatchWriter(store.Db, store.WriteOptions, new SstIngester(store.Db, store.IngestDirectory));
        // A history key among the plain puts would land in a file of its own overlapping the history file: refused.
        batch.Puts.Put(Key(ReadModelKeys.Account, 1), "a"u8);
        batch.Puts.Put(Key(ReadModelKeys.History, 2), "h"u8);
        batch.History.Add(3, new HistoryRow { Index = 1, Kind = LedgerEventKind.AccountCreated });
        batch.History.Epoch = 1;
        batch.Puts.Put(CheckpointKey, "pos"u8);
        batch.Prepare();
        writer.Submit(batch);
        IOException failure = Assert.Throws<IOException>(writer.Wait);
        Assert.IsType<InvalidDataException>(failure.InnerException);
        Assert.Null(store.Db.Get(CheckpointKey));
        Assert.Null(store.Db.Get(Key(ReadModelKeys.Account, 1)));
    }

    [Fact]
    public void Queries_during_ingestion_never_see_a_checkpoint_without_its_rows()
    {
        using var dir = new TempDirectory("rm-ingest-live");
        using var p = new PartitionFixture(dir.Path);
        p.CreateAccounts(Acc(1), Acc(2), Acc(3));
        var indexOf = new Dictionary<UInt128, long>();
        ulong id = 100;
        for (int command = 0; command < 150; command++)
        {
            var batch = new Transfer[3];
            for (int i = 0; i < batch.Length; i++) batch[i] = Tx(id++, (UInt128)(1 + (i % 3)), (UInt128)(1 + ((i + 1) % 3)), 1 + i);
            Assert.All(p.CreateTransfers(batch), c => Assert.Equal(ResultCode.Ok, c));
            foreach (Transfer t in batch) indexOf[t.Id] = p.Engine.AppliedIndex;
        }
        UInt128[] ids = [.. indexOf.Keys];
        long last = p.Engine.AppliedIndex;

        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
        // One record per batch, each ingested however small: ~150 ingested files while the queries below run.
        using var projector = new ReadModelProjector(store, p.Engine.EventJournal!, new ReadModelOptions { MaxRecordsPerBatch = 1, IngestMinEvents = 0 });
        projector.Start();
        var random = new Random(3);
        long deadline = Environment.TickCount64 + 30_000;
        int checkedQueries = 0;
        while (Environment.TickCount64 < deadline)
        {
            UInt128 tid = ids[random.Next(ids.Length)];
            bool found = store.TryGetTransfer(tid, out TransferView view, out ViewPosition position);
            // Same snapshot: the transfer is there exactly when the checkpoint covers its record.
            Assert.True(found == (indexOf[tid] <= position.Index), $"transfer {tid} (index {indexOf[tid]}): found {found} at view index {position.Index}");
            if (found) Assert.Equal(indexOf[tid], view.Index);
            checkedQueries++;
            if (position.Index == last && checkedQueries > 200) break;
        }
        Assert.True(projector.WaitForIndex(last, TimeSpan.FromSeconds(20)), $"projector stuck at {projector.AppliedIndex} ({projector.LastError})");
        Assert.True(projector.Stop(TimeSpan.FromSeconds(10)));
        Assert.Null(projector.LastError);
        foreach (UInt128 tid in ids) Assert.True(store.TryGetTransfer(tid, out _, out _));
    }

    [Fact]
    public void A_file_left_between_write_and_ingest_is_deleted_on_open_and_projection_resumes_from_the_checkpoint()
    {
        using var dir = new TempDirectory("rm-ingest-crash");
        string viewPath = Path.Combine(dir.Path, ReadModelStore.DirectoryName);
        using var p = new PartitionFixture(dir.Path);
        p.CreateAccounts(Acc(1), Acc(2));
        p.CreateTransfers(Tx(10, 1, 2, 5));
        long firstRun;
        string leftover, partial;
        using (ReadModelStore store = ReadModelStore.Open(viewPath))
        {
            using (var projector = new ReadModelProjector(store, p.Engine.EventJournal!))
            {
                Assert.True(projector.CatchUp() > 0);
            }
            firstRun = store.Position.Index;
            Assert.Equal(p.Engine.AppliedIndex, firstRun);
            // What a crash between "SST written" and "ingested" leaves: a complete file whose checkpoint is far ahead
            // and which claims a transfer, plus a half-written one.
            leftover = Path.Combine(store.IngestDirectory, "batch.sst");
            using (var sst = new SstFileWriter(new EnvOptions(), new ColumnFamilyOptions()))
            {
                sst.Open(leftover);
                sst.Put(CheckpointKey, new byte[ViewPosition.SizeBytes].Select(_ => (byte)0x7F).ToArray());
                sst.Put(Key(ReadModelKeys.Transfer, 99), new byte[Transfer.SizeBytes + 8]);
                sst.Finish();
            }
            partial = Path.Combine(store.IngestDirectory, "half.sst");
            File.WriteAllBytes(partial, File.ReadAllBytes(leftover).AsSpan(0, 40).ToArray());
        } // closed without ingesting them, as after a crash

        p.CreateTransfers(Tx(11, 2, 1, 3));
        using (ReadModelStore store = ReadModelStore.Open(viewPath))
        {
            Assert.False(File.Exists(leftover));
            Assert.False(File.Exists(partial));
            Assert.Equal(firstRun, store.Position.Index);
            Assert.False(store.TryGetTransfer(99, out _, out _));
            using var projector = new ReadModelProjector(store, p.Engine.EventJournal!);
            Assert.Equal(p.Engine.AppliedIndex - firstRun, projector.CatchUp()); // only the records after the checkpoint
            Assert.Equal(0, projector.Rebuilds);
            Assert.True(store.TryGetAccount(1, out AccountView a, out _));
            Assert.Equal(5, a.Account.DebitsPosted);
            Assert.Equal(3, a.Account.CreditsPosted);
            Assert.True(store.TryGetTransfer(11, out _, out _));
        }
    }

    [Fact]
    public void Rows_of_a_cleared_view_stay_gone_after_a_reopen()
    {
        using var a = new TempDirectory("rm-ingest-ja");
        using var b = new TempDirectory("rm-ingest-jb");
        string viewPath = Path.Combine(a.Path, "view");
        using (var p = new PartitionFixture(a.Path))
        {
            p.CreateAccounts(Acc(1), Acc(2));
            p.CreateTransfers(Tx(10, 1, 2, 5), Tx(11, 2, 1, 1));
            using ReadModelStore store = ReadModelStore.Open(viewPath);
            using var projector = new ReadModelProjector(store, p.Engine.EventJournal!);
            projector.CatchUp();
            Assert.True(store.TryGetTransfer(11, out _, out _));
        }
        using (var p = new PartitionFixture(b.Path))
        {
            p.CreateAccounts(Acc(1), Acc(2));
            p.CreateTransfers(Tx(10, 2, 1, 7));
            using (ReadModelStore store = ReadModelStore.Open(viewPath))
            using (var projector = new ReadModelProjector(store, p.Engine.EventJournal!))
            {
                projector.CatchUp(); // another journal: cleared and rebuilt from it
                Assert.Equal(1, projector.Rebuilds);
            }
            using (ReadModelStore store = ReadModelStore.OpenReadOnly(viewPath))
            {
                Assert.Equal(p.Engine.AppliedIndex, store.Position.Index);
                Assert.False(store.TryGetTransfer(11, out _, out _));
                Assert.True(store.TryGetTransfer(10, out TransferView t, out _));
                Assert.Equal(7, t.Transfer.Amount);
                Assert.True(store.TryGetAccount(1, out AccountView acc, out _));
                Assert.Equal(7, acc.Account.CreditsPosted);
                Assert.Equal(0, acc.Account.DebitsPosted);
            }
        }
    }

    private static byte[] Key(byte table, UInt128 id)
    {
        byte[] key = new byte[ReadModelKeys.IdKeyBytes];
        ReadModelKeys.WriteId(key, table, id);
        return key;
    }

    private static string? Get(RocksDb db, byte[] key, ReadOptions? read = null)
    {
        byte[]? value = db.Get(key, null, read);
        return value is null ? null : Encoding.ASCII.GetString(value);
    }
}
