using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Writes one projection batch as a sorted SST file in the store's ingest folder and ingests it into the database
/// (the file is moved, not copied). Why: a batch then never passes through a memtable — no skip-list insert, and no
/// memtable memory allocated, filled, flushed and freed per 64 MB (docs/BENCHMARKS.md §6c/§6d: that churn was most of
/// the write path's CPU on this VM).
/// Consistency: RocksDB ingests one file as one version edit under its mutex, with one new sequence number above
/// every earlier write, so the batch's rows and its checkpoint (in the same file) become visible together, a
/// snapshot taken earlier sees none of them, and a key the file shares with older data reads back from the file
/// (newest wins). A file that overlaps older data lands in L0 (or the lowest level above the overlap).
/// Crash safety: the file is complete and synced before ingestion; a file left in the ingest folder by a crash
/// (written, not ingested) is deleted when the store is opened, and the checkpoint in the database says what landed.
/// Back-pressure: ingestion does not stall on too many L0 files the way writes do, so before each ingestion this
/// waits (sleeping, bounded) while L0 holds <see cref="Level0WaitFiles"/> files or more and compaction catches up.
/// One instance per writer thread; nothing allocated per batch except inside RocksDB. The RocksDbSharp option
/// objects free their native handles in their finalizers (they are not disposable).
/// </summary>
internal sealed class SstIngester
{
    /// <summary>L0 files at which ingestion waits for compaction: RocksDB's default level0_slowdown_writes_trigger.</summary>
    public const int Level0WaitFiles = 20;
    /// <summary>Longest wait for compaction before ingesting anyway (reads slow down, nothing breaks).</summary>
    public const int Level0WaitMaxMs = 10_000;
    private const string SstFileName = "batch.sst";
    private const string Level0Property = "rocksdb.num-files-at-level0";

    private readonly RocksDb _db;
    private readonly EnvOptions _env = new();
    private readonly DbOptions _tableOptions;
    private readonly IngestExternalFileOptions _ingestOptions;
    private readonly string _path;
    private readonly string[] _files;

    public SstIngester(RocksDb db, string directory)
    {
        _db = db;
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, SstFileName);
        _files = [_path];
        // Same table format and compression as the database's own flushes and compactions.
        _tableOptions = ReadModelStore.DbOptionsFor();
        _ingestOptions = new IngestExternalFileOptions()
            .SetMoveFiles(true)
            .SetSnapshotConsistency(true)
            .SetAllowGlobalSeqno(true)
            .SetAllowBlockingFlush(true);
    }

    /// <summary>Times ingestion waited for L0 to drain (diagnostics, tests).</summary>
    public long Level0Waits { get; private set; }

    /// <summary>Writes <paramref name="batch"/> (all keys ascending, checkpoint included) as a file and ingests it.</summary>
    public void Ingest(PendingBatch batch)
    {
        Native native = Native.Instance;
        IntPtr writer = native.rocksdb_sstfilewriter_create(_env.Handle, _tableOptions.Handle);
        try
        {
            native.rocksdb_sstfilewriter_open(writer, _path);
            batch.WriteSorted(writer);
            native.rocksdb_sstfilewriter_finish(writer);
        }
        finally
        {
            native.rocksdb_sstfilewriter_destroy(writer);
        }
        WaitForLevel0();
        native.rocksdb_ingest_external_file(_db.Handle, _files, (UIntPtr)1, _ingestOptions.Handle);
    }

    /// <summary>Files at level 0 now (RocksDB property).</summary>
    public unsafe long Level0Files()
    {
        ulong files = 0;
        return Native.Instance.rocksdb_property_int(_db.Handle, Level0Property, (IntPtr)(&files)) == 0 ? (long)files : 0;
    }

    private void WaitForLevel0()
    {
        if (Level0Files() < Level0WaitFiles) return;
        Level0Waits++;
        long deadline = Environment.TickCount64 + Level0WaitMaxMs;
        while (Level0Files() >= Level0WaitFiles && Environment.TickCount64 < deadline) Thread.Sleep(5);
    }

    /// <summary>Deletes whatever a crash left in the ingest folder (files written but never ingested).</summary>
    public static void DeleteLeftovers(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (string file in Directory.EnumerateFiles(directory)) File.Delete(file);
    }
}
