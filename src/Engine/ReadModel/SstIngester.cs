using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Writes one projection batch as sorted SST files with disjoint key ranges (<see cref="SstFileSet"/>) in the store's
/// ingest folder and ingests them into the database in one call (the files are moved, not copied). Why: a batch then
/// never passes through a memtable — no skip-list insert, and no memtable memory allocated, filled, flushed and freed
/// per 64 MB (docs/BENCHMARKS.md §6c/§6d: that churn was most of the write path's CPU on this VM).
/// Consistency: RocksDB ingests the files of one call as one version edit under its mutex (all or none), with a
/// sequence number above every earlier write, so the batch's rows and its checkpoint become visible together, a
/// snapshot taken earlier sees none of them, and a key a file shares with older data reads back from the file
/// (newest wins). A file that overlaps older data lands in L0 (or the lowest level above the overlap); one that
/// overlaps nothing (transfer ids and time keys only grow) goes to the last level.
/// Crash safety: the files are complete and synced before ingestion; files left in the ingest folder by a crash
/// (written or half written, not ingested) are deleted when the store is opened, and the checkpoint in the database says what landed.
/// Back-pressure: ingestion does not stall on too many L0 files the way writes do, so before each ingestion this
/// waits (sleeping, bounded) while L0 holds <see cref="Level0WaitFiles"/> files or more and compaction catches up.
/// One instance per writer thread; nothing allocated per batch except inside RocksDB. The RocksDbSharp option
/// objects free their native handles in their finalizers (they are not disposable).
/// </summary>
internal sealed class SstIngester
{
    /// <summary>
    /// L0 files at which ingestion waits for compaction: a few past the compaction trigger
    /// (<see cref="ReadModelStore.Level0CompactionTriggerFiles"/>), so a compaction that falls behind slows the apply
    /// instead of letting L0 — which every point read consults — grow without bound.
    /// </summary>
    public const int Level0WaitFiles = ReadModelStore.Level0CompactionTriggerFiles + 4;
    /// <summary>Longest wait for compaction before ingesting anyway (reads slow down, nothing breaks).</summary>
    public const int Level0WaitMaxMs = 10_000;
    private const string Level0Property = "rocksdb.num-files-at-level0";

    private readonly RocksDb _db;
    private readonly SstFileSet _files;
    private readonly IngestExternalFileOptions _ingestOptions;

    public SstIngester(RocksDb db, string directory)
    {
        _db = db;
        _files = new SstFileSet(directory);
        _ingestOptions = new IngestExternalFileOptions()
            .SetMoveFiles(true)
            .SetSnapshotConsistency(true)
            .SetAllowGlobalSeqno(true)
            .SetAllowBlockingFlush(true);
    }

    /// <summary>Writes <paramref name="batch"/> (all keys ascending, checkpoint included) as files and ingests them.</summary>
    public void Ingest(PendingBatch batch)
    {
        _files.Reset();
        try
        {
            batch.WriteSorted(_files);
        }
        finally
        {
            _files.Abort();
        }
        WaitForLevel0();
        // Atomic visibility: with a snapshot alive RocksDB gives every file of the ingestion the same new sequence
        // number (snapshot consistency). Without one it may give a file that overlaps nothing sequence number 0 and
        // the others (the checkpoint, which always overlaps its previous value) a new one — and a reader whose snapshot
        // was taken while the ingestion ran then saw a batch's rows without its checkpoint (seen once in CI:
        // IngestPathTests, a transfer of index 44 at view index 43). Holding one here closes that window.
        using (Snapshot consistent = _db.CreateSnapshot())
        {
            Native.Instance.rocksdb_ingest_external_file(_db.Handle, _files.Paths, (UIntPtr)_files.Count, _ingestOptions.Handle);
        }
    }

    /// <summary>Files at level 0 now (RocksDB property; -1 if RocksDB did not answer).</summary>
    /// <remarks>
    /// "num-files-at-level&lt;N&gt;" is a string property: RocksDB's integer accessor (<c>rocksdb_property_int</c>) refuses
    /// it, and reading it that way returned 0 every time — so the wait below never waited, and L0 grew to 31–45 files
    /// during a long apply (BENCHMARKS §33). Read as text from native memory: no managed allocation per batch.
    /// </remarks>
    public unsafe long Level0Files()
    {
        IntPtr text = Native.Instance.rocksdb_property_value(_db.Handle, Level0Property);
        if (text == IntPtr.Zero) return -1;
        try
        {
            long files = 0;
            int digits = 0;
            for (byte* p = (byte*)text; *p >= (byte)'0' && *p <= (byte)'9' && digits < 18; p++, digits++) files = files * 10 + (*p - '0');
            return digits == 0 ? -1 : files;
        }
        finally
        {
            Native.Instance.rocksdb_free(text);
        }
    }

    private void WaitForLevel0()
    {
        if (Level0Files() < Level0WaitFiles) return;
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
