using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using RocksDbSharp;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// The read model's RocksDB database and every query it answers. Queries may run on any thread while the
/// projector writes: each one reads through a RocksDB snapshot, so the rows it sees and the position it reports
/// belong to the same checkpointed batch. Answers are eventually consistent; each carries the view's position.
/// </summary>
public sealed class ReadModelStore : IDisposable
{
    /// <summary>The read model's folder inside a partition's data directory.</summary>
    public const string DirectoryName = "readmodel";
    /// <summary>Folder inside the view's folder where batches are written as SST files before ingestion.</summary>
    public const string IngestDirectoryName = "ingest";

    private readonly RocksDb _db;
    private readonly WriteOptions _writeOptions;
    private int _disposed;

    private ReadModelStore(RocksDb db, string path, bool readOnly)
    {
        _db = db;
        Path = path;
        IsReadOnly = readOnly;
        // Derived data, so no write-ahead log: a batch and its checkpoint land in the memtable together and reach disk
        // together in a flush, so after a crash the view is at an older checkpoint, consistent, and re-projects the
        // rest from the journal. The WAL would double the bytes written for nothing the journal does not already give.
        // (The default ingest path bypasses the memtable: a batch is one SST file, on disk once ingested.)
        _writeOptions = new WriteOptions().SetSync(false).DisableWal(1);
    }

    public string Path { get; }
    public bool IsReadOnly { get; }
    /// <summary>Where the ingest path writes a batch's SST file before ingesting (moving) it.</summary>
    public string IngestDirectory => System.IO.Path.Combine(Path, IngestDirectoryName);

    /// <summary>
    /// Opens (creating if needed) the read model for projection and queries. A view written in another layout
    /// (<see cref="ReadModelKeys.FormatVersion"/>) is deleted first, so the projector rebuilds it from the journal;
    /// <see cref="FormatReset"/> then says so (the host logs it).
    /// </summary>
    public static ReadModelStore Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        System.IO.Directory.CreateDirectory(path);
        RocksDb db = RocksDb.Open(DbOptionsFor(), path);
        string? reset = null;
        uint? found = ReadFormat(db);
        if (found != ReadModelKeys.FormatVersion && found is not null)
        {
            db.Dispose();
            Destroy(path);
            System.IO.Directory.CreateDirectory(path);
            db = RocksDb.Open(DbOptionsFor(), path);
            reset = $"read model in '{path}' has view format {found}, this build uses format {ReadModelKeys.FormatVersion}: deleted; it is rebuilt from the event journal";
        }
        // RocksDB's flush and compaction threads serve the view, as the projector and writer threads do (nice +10): on
        // contended cores compaction debt grows (bounded by SstIngester's L0 wait) instead of taking a core from the
        // request path or from the projection it serves. They exist once the database is open (one pool per process).
        Ring.BackgroundPriority.LowerThreadsNamed("rocksdb:");
        var store = new ReadModelStore(db, path, readOnly: false) { FormatReset = reset };
        // A batch file written but not ingested before a crash: not part of the view (its checkpoint never landed).
        SstIngester.DeleteLeftovers(store.IngestDirectory);
        if (found != ReadModelKeys.FormatVersion)
        {
            using var batch = new WriteBatch();
            store.PutFormat(batch);
            db.Write(batch, store._writeOptions);
            // On disk now: ingested batches are durable at once, and a view without its format key after a crash
            // would read as format 1 and be deleted.
            store.Flush();
        }
        return store;
    }

    /// <summary>
    /// L0 files that start a compaction into L1 (RocksDB's default is 4). Every batch's files overlap the whole key
    /// range, so each L0→L1 compaction rewrites all of L1: at 4 it ran four times as often and its threads took ~45 %
    /// of the machine during a long apply. At 16: apply +19–22 % at 8M transfers, CPU until settled −20–32 %, point
    /// reads consult up to ~16 L0 files (p99 ≤ 0.9 ms, target 10 ms). BENCHMARKS §27.
    /// </summary>
    internal const int Level0CompactionTriggerFiles = 16;

    /// <summary>
    /// The L0 compaction trigger while the projector is caught up (RocksDB's default). A catch-up lets L0 gather
    /// <see cref="Level0CompactionTriggerFiles"/> files between compactions (fewer, larger merges: BENCHMARKS §27), but
    /// every point read consults every L0 file, and after a catch-up the last 10–15 files stayed: nothing triggered
    /// their compaction, and balance-at p99 was 0.5 ms against 0.03–0.1 ms with L0 compacted (§40). Once caught up the
    /// projector lowers the trigger to this, so RocksDB's own threads compact L0 into the epoch it belongs to (history
    /// epochs bound that merge) while the view serves reads; a full batch (a backlog) raises it again.
    /// </summary>
    internal const int Level0CompactionTriggerFilesCaughtUp = 4;

    /// <summary>The L0 compaction trigger in force (<see cref="SetLevel0CompactionTrigger"/>).</summary>
    internal int Level0CompactionTrigger { get; private set; } = Level0CompactionTriggerFiles;

    /// <summary><see cref="Environment.TickCount64"/> of the last change of the trigger (0: never changed).</summary>
    internal long Level0CompactionTriggerChangedMs { get; private set; }

    /// <summary>Changes the L0 compaction trigger of the open database (no-op when unchanged or read-only).</summary>
    internal void SetLevel0CompactionTrigger(int files)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(files, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(files, Level0CompactionTriggerFiles * 3);
        if (IsReadOnly || files == Level0CompactionTrigger) return;
        _db.SetOptions([new KeyValuePair<string, string>("level0_file_num_compaction_trigger", files.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        Level0CompactionTrigger = files;
        Level0CompactionTriggerChangedMs = Environment.TickCount64;
    }

    /// <summary>
    /// Background jobs (compactions + flushes) at least, and the parts one compaction may be split into. With RocksDB's
    /// two jobs on two cores only one compaction ran at a time, on one thread: once the ingester waits for L0 (it does
    /// since BENCHMARKS §33) the second core idled while the apply waited. Three jobs let the L0→base and base→last
    /// compactions overlap, two subcompactions split the big L0 merge: at 20M transfers apply 0.77–0.81M vs
    /// 0.66–0.83M events/s, compactions settled after 30–31 s vs 39–41 s; at 8M apply −10 % (1.16–1.30M vs 1.36–1.43M),
    /// 2M the same (BENCHMARKS §34). The threads run at nice +10 (<see cref="Ring.BackgroundPriority"/>).
    /// </summary>
    internal const int MinBackgroundJobs = 3;
    internal const int MaxSubcompactions = 2;

    /// <summary>The database's options (also the table format of the ingest path's SST files).</summary>
    internal static DbOptions DbOptionsFor()
    {
        DbOptions options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetMaxOpenFiles(256)
            .IncreaseParallelism(Math.Max(2, Environment.ProcessorCount))
            .SetWriteBufferSize(64UL << 20)
            .SetMaxWriteBufferNumber(4)
            .SetLevel0FileNumCompactionTrigger(Level0CompactionTriggerFiles)
            .SetLevel0SlowdownWritesTrigger(Level0CompactionTriggerFiles * 3) // the memtable path's writes: same ratios as RocksDB's defaults (4 / 20 / 36), scaled
            .SetLevel0StopWritesTrigger(Level0CompactionTriggerFiles * 4)
            .SetCompression(Compression.Lz4);
        Native.Instance.rocksdb_options_set_max_background_jobs(options.Handle, Math.Max(MinBackgroundJobs, Environment.ProcessorCount));
        Native.Instance.rocksdb_options_set_max_subcompactions(options.Handle, MaxSubcompactions);
        return options;
    }

    /// <summary>The view's format version; null for an empty database, 1 for a non-empty one without the key (before versions existed).</summary>
    private static uint? ReadFormat(RocksDb db)
    {
        Span<byte> value = stackalloc byte[4];
        ReadOnlySpan<byte> key = [ReadModelKeys.Format];
        if (db.GetFixedSizeValue(key, value)) return BinaryPrimitives.ReadUInt32LittleEndian(value);
        using Iterator it = db.NewIterator();
        it.SeekToFirst();
        return it.Valid() ? 1u : null;
    }

    /// <summary>Set when <see cref="Open"/> found a view of another format and deleted it (a line for the log); else null.</summary>
    public string? FormatReset { get; private init; }

    internal void PutFormat(WriteBatch batch)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(value, ReadModelKeys.FormatVersion);
        ReadOnlySpan<byte> key = [ReadModelKeys.Format];
        batch.Put(key, value);
    }

    /// <summary>
    /// Opens an existing read model for queries only (CLI tools while the server may be running): a consistent
    /// image as of the moment of opening; never writes. A view of another format is refused, never misread.
    /// </summary>
    public static ReadModelStore OpenReadOnly(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!System.IO.Directory.Exists(path)) throw new DirectoryNotFoundException($"read model '{path}' does not exist (was the server run with the read model on?)");
        RocksDb db = RocksDb.OpenReadOnly(new DbOptions(), path, false);
        uint? found = ReadFormat(db);
        if (found is not null && found != ReadModelKeys.FormatVersion)
        {
            db.Dispose();
            throw new InvalidDataException($"read model '{path}' has view format {found}, this build reads format {ReadModelKeys.FormatVersion}: rebuild it (`wallet readmodel rebuild`, or start the node, which rebuilds it)");
        }
        return new ReadModelStore(db, path, readOnly: true);
    }

    /// <summary>Deletes a read model's files (a rebuild starts from an empty view). The store must be closed.</summary>
    public static void Destroy(string path)
    {
        if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true);
    }

    internal RocksDb Db => _db;

    /// <summary>Writes the memtables to disk (the view has no write-ahead log), waiting for it.</summary>
    public void Flush()
    {
        if (IsReadOnly) return;
        _db.Flush(new FlushOptions().SetWaitForFlush(true));
    }
    internal WriteOptions WriteOptions => _writeOptions;

    /// <summary>The checkpoint: the last event-journal record the view contains.</summary>
    public ViewPosition Position => ReadPosition(null);

    private ViewPosition ReadPosition(ReadOptions? read)
    {
        Span<byte> value = stackalloc byte[ViewPosition.SizeBytes];
        ReadOnlySpan<byte> key = [ReadModelKeys.Checkpoint];
        if (!_db.GetFixedSizeValue(key, value, null, read)) return ViewPosition.Empty;
        return MemoryMarshal.Read<ViewPosition>(value);
    }

    /// <summary>
    /// The history epoch being filled: its first log index (0: none yet) and the rows written to it so far (the last
    /// 'E' key, written with every batch that has history; <see cref="ReadModelKeys"/>).
    /// </summary>
    internal (long Epoch, long Rows) HistoryEpochState
    {
        get
        {
            Span<byte> key = stackalloc byte[ReadModelKeys.HistoryEpochKeyBytes];
            ReadModelKeys.WriteHistoryEpoch(key, long.MaxValue);
            using Iterator it = _db.NewIterator();
            it.SeekForPrev(key);
            if (!it.Valid()) return (0, 0);
            ReadOnlySpan<byte> found = it.GetKeySpan();
            if (found.Length != ReadModelKeys.HistoryEpochKeyBytes || found[0] != ReadModelKeys.HistoryEpoch) return (0, 0);
            ReadOnlySpan<byte> value = it.GetValueSpan();
            long epoch = ReadModelKeys.HistoryEpochKeyEpoch(found);
            long rows = value.Length == ReadModelKeys.HistoryEpochValueBytes ? BinaryPrimitives.ReadInt64LittleEndian(value) : -1;
            if (epoch < 1 || rows < 0) throw new InvalidDataException($"read model: history epoch {epoch} with {rows} rows is not valid; rebuild the view");
            return (epoch, rows);
        }
    }

    /// <summary>
    /// The view's history epochs: how many, and the newest one's first log index and rows (all 0 for a view without
    /// history). For operators: a query about an account idle since epoch k passes the epochs after it.
    /// </summary>
    public HistoryEpochSummary GetHistoryEpochs()
    {
        Span<byte> key = stackalloc byte[ReadModelKeys.HistoryEpochKeyBytes];
        ReadModelKeys.WriteHistoryEpoch(key, 0);
        int count = 0;
        using (Iterator it = _db.NewIterator())
        {
            for (it.Seek(key); it.Valid(); it.Next())
            {
                ReadOnlySpan<byte> found = it.GetKeySpan();
                if (found.Length != ReadModelKeys.HistoryEpochKeyBytes || found[0] != ReadModelKeys.HistoryEpoch) break;
                count++;
            }
        }
        (long epoch, long rows) = HistoryEpochState;
        return new HistoryEpochSummary(count, epoch, rows);
    }

    /// <summary>The account with its balances as of the view's position; false if the view has not seen it.</summary>
    public bool TryGetAccount(UInt128 id, out AccountView account, out ViewPosition view)
    {
        using var scope = new ReadScope(_db);
        view = ReadPosition(scope.Options);
        return TryGetAccount(id, scope.Options, out account);
    }

    private bool TryGetAccount(UInt128 id, ReadOptions read, out AccountView view)
    {
        view = default;
        Span<byte> key = stackalloc byte[ReadModelKeys.IdKeyBytes];
        Span<byte> accountBytes = stackalloc byte[Account.SizeBytes];
        ReadModelKeys.WriteId(key, ReadModelKeys.Account, id);
        if (!_db.GetFixedSizeValue(key, accountBytes, null, read)) return false;
        Account account = MemoryMarshal.Read<Account>(accountBytes);
        // Balances now = those after the account's newest change.
        long index = 0;
        using (var cursor = new HistoryCursor(_db, read, id))
        {
            if (cursor.SeekLastAtOrBefore(long.MaxValue, uint.MaxValue))
            {
                Span<HistoryRow> rows = stackalloc HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
                int count = HistoryChunk.Decode(cursor.Key, cursor.Value, rows);
                HistoryRow row = rows[count - 1];
                account.DebitsPending = row.After.DebitsPending;
                account.DebitsPosted = row.After.DebitsPosted;
                account.CreditsPending = row.After.CreditsPending;
                account.CreditsPosted = row.After.CreditsPosted;
                index = row.Index;
            }
        }
        view = new AccountView(account, index);
        return true;
    }

    /// <summary>A transfer by id, with its status (pending, posted, voided, expired); false if the view has not seen it.</summary>
    public bool TryGetTransfer(UInt128 id, out TransferView transfer, out ViewPosition view)
    {
        transfer = default;
        using var scope = new ReadScope(_db);
        view = ReadPosition(scope.Options);
        Span<byte> key = stackalloc byte[ReadModelKeys.IdKeyBytes];
        ReadModelKeys.WriteId(key, ReadModelKeys.Transfer, id);
        Transfer t;
        long index;
        // Values have no fixed size any more (TransferRowCodec): decoded where RocksDB pins them, no copy.
        using (var get = new PinnedGet())
        {
            if (!get.TryRead(_db, scope.Options, key, out ReadOnlySpan<byte> value)) return false;
            TransferRowCodec.Decode(id, value, out t, out index);
        }
        Span<byte> statusBytes = stackalloc byte[TransferStatusRow.SizeBytes];
        ReadModelKeys.WriteId(key, ReadModelKeys.Status, id);
        TransferStatusRow status = _db.GetFixedSizeValue(key, statusBytes, null, scope.Options)
            ? MemoryMarshal.Read<TransferStatusRow>(statusBytes)
            : new TransferStatusRow { Status = TransferStatus.Posted };
        transfer = new TransferView(t, index, status.Status, status.ResolvedIndex, status.ResolvedBy);
        return true;
    }

    /// <summary>
    /// Balances of an account as of a log index or a time (command timestamps, inclusive): the running balance of
    /// the last change at or before the target. Same answer as replaying the journal to the target
    /// (<see cref="LedgerReplay.TryGetAccountAt"/>), when the view has applied that far.
    /// </summary>
    public BalanceAt GetBalanceAt(UInt128 accountId, ReplayTarget target)
    {
        using var scope = new ReadScope(_db);
        ViewPosition view = ReadPosition(scope.Options);
        if (target.Index != long.MaxValue && target.Index > view.Index) return new BalanceAt(BalanceAtStatus.ViewBehind, default, 0, 0, view);
        using var cursor = new HistoryCursor(_db, scope.Options, accountId);
        long index;
        if (target.Index != long.MaxValue)
        {
            index = target.Index;
        }
        else if (target.TimestampNs != long.MaxValue)
        {
            // Time → the last log record with events stamped at or before it (stamps grow with the index).
            index = cursor.LastIndexStampedAtOrBefore(target.TimestampNs);
            if (index == 0) return new BalanceAt(BalanceAtStatus.NotFound, default, 0, 0, view);
        }
        else
        {
            index = view.Index;
        }

        if (!cursor.SeekLastAtOrBefore(index, uint.MaxValue))
            return new BalanceAt(BalanceAtStatus.NotFound, default, 0, 0, view);
        // The chunk whose first row is the last at or before the target holds the answer (chunks never overlap).
        Span<HistoryRow> rows = stackalloc HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
        int count = HistoryChunk.Decode(cursor.Key, cursor.Value, rows);
        int at = HistoryChunk.LastAtOrBefore(rows[..count], index, uint.MaxValue);
        if (at < 0) throw new InvalidDataException($"read model: history chunk of account {accountId} starts after its key; rebuild the view");
        HistoryRow row = rows[at];
        return new BalanceAt(BalanceAtStatus.Found, row.After, row.Index, row.CommandTimestamp, view);
    }

    /// <summary>One page of an account's history in time range and order; see <see cref="HistoryQuery"/>.</summary>
    public HistoryPage GetHistory(HistoryQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit is < 1 or > HistoryQuery.MaxLimit) throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"limit must be 1..{HistoryQuery.MaxLimit}");
        if (query.FromTimestampNs > query.ToTimestampNs) throw new ArgumentException("the time range is empty (from after to)", nameof(query));
        (long cursorIndex, uint cursorOrdinal)? cursor = query.Cursor is null ? null : ParseCursor(query.Cursor);

        using var scope = new ReadScope(_db);
        ViewPosition view = ReadPosition(scope.Options);
        using var walk = new HistoryCursor(_db, scope.Options, query.AccountId);
        // A time range starts the walk at its end (stamps grow with the index): the time index names the last record
        // before the range, and the walk starts past it as if from a cursor — not at the account's other end, row by
        // row and epoch by epoch across everything outside the range. The rows are still filtered by time below.
        if (query.NewestFirst && query.ToTimestampNs != long.MaxValue)
        {
            // Rows strictly before (last record stamped at or before `to` + 1, 0).
            (long, uint) bound = (walk.LastIndexStampedAtOrBefore(query.ToTimestampNs) + 1, 0);
            if (cursor is not { } c0 || Before(bound, c0)) cursor = bound;
        }
        else if (!query.NewestFirst && query.FromTimestampNs > 0)
        {
            // Rows strictly after (last record stamped before `from`, every ordinal).
            long last = walk.LastIndexStampedAtOrBefore(query.FromTimestampNs - 1);
            if (last > 0 && (cursor is not { } c0 || Before(c0, (last, uint.MaxValue)))) cursor = (last, uint.MaxValue);
        }
        var rows = new List<HistoryRow>(Math.Min(query.Limit, 128));
        Span<HistoryRow> chunk = stackalloc HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
        int count = 0;
        // Position on the first chunk to read (decoded into `chunk`) and the row inside it where the walk starts.
        int at;
        if (query.NewestFirst)
        {
            // Rows strictly before the cursor (or all): the chunk starting at or before it, from its last row before it.
            (long ci, uint co) = cursor ?? (long.MaxValue, uint.MaxValue);
            count = walk.SeekLastAtOrBefore(ci, co) ? Decode(walk, chunk) : 0;
            at = count > 0 ? (cursor is null ? count - 1 : HistoryChunk.LastBefore(chunk[..count], ci, co)) : -1;
        }
        else if (cursor is { } c)
        {
            // Rows strictly after the cursor: the chunk holding it (the last starting at or before it), else the first.
            if (walk.SeekLastAtOrBefore(c.cursorIndex, c.cursorOrdinal))
            {
                count = Decode(walk, chunk);
                at = HistoryChunk.FirstAfter(chunk[..count], c.cursorIndex, c.cursorOrdinal);
            }
            else
            {
                count = walk.SeekFirst() ? Decode(walk, chunk) : 0;
                at = 0;
            }
        }
        else
        {
            count = walk.SeekFirst() ? Decode(walk, chunk) : 0;
            at = 0;
        }

        bool more = false;
        bool done = false;
        while (!done && count > 0)
        {
            for (; at >= 0 && at < count; at += query.NewestFirst ? -1 : 1)
            {
                HistoryRow row = chunk[at];
                // Timestamps grow with the index: once past the range in the walking direction, nothing further matches.
                if (query.NewestFirst ? row.CommandTimestamp < query.FromTimestampNs : row.CommandTimestamp > query.ToTimestampNs)
                {
                    done = true;
                    break;
                }
                if (row.CommandTimestamp < query.FromTimestampNs || row.CommandTimestamp > query.ToTimestampNs) continue;
                if (rows.Count == query.Limit)
                {
                    more = true;
                    done = true;
                    break;
                }
                rows.Add(row);
            }
            if (done) break;
            count = (query.NewestFirst ? walk.Prev() : walk.Next()) ? Decode(walk, chunk) : 0;
            at = query.NewestFirst ? count - 1 : 0;
        }
        string? next = more ? FormatCursor(rows[^1].Index, rows[^1].Ordinal) : null;
        return new HistoryPage(rows, next, view);
    }

    /// <summary>True when (index, ordinal) <paramref name="a"/> comes before <paramref name="b"/>.</summary>
    private static bool Before((long Index, uint Ordinal) a, (long Index, uint Ordinal) b) =>
        a.Index < b.Index || (a.Index == b.Index && a.Ordinal < b.Ordinal);

    private static int Decode(HistoryCursor walk, Span<HistoryRow> rows) => HistoryChunk.Decode(walk.Key, walk.Value, rows);

    /// <summary>Accounts whose user_data_128 equals <paramref name="userData"/>, in id order, after <paramref name="afterId"/>.</summary>
    public IReadOnlyList<AccountView> GetAccountsByUserData(UInt128 userData, int limit, UInt128 afterId, out ViewPosition view)
    {
        if (limit is < 1 or > HistoryQuery.MaxLimit) throw new ArgumentOutOfRangeException(nameof(limit), limit, $"1..{HistoryQuery.MaxLimit}");
        using var scope = new ReadScope(_db);
        view = ReadPosition(scope.Options);
        var result = new List<AccountView>();
        Span<byte> key = stackalloc byte[ReadModelKeys.UserDataKeyBytes];
        ReadModelKeys.WriteUserData(key, userData, afterId == UInt128.Zero ? UInt128.Zero : afterId + 1);
        using Iterator it = _db.NewIterator(null, scope.Options);
        for (it.Seek(key); it.Valid() && result.Count < limit && ReadModelKeys.HasPrefix(it.GetKeySpan(), key, ReadModelKeys.IdKeyBytes); it.Next())
        {
            UInt128 accountId = ReadModelKeys.UserDataAccount(it.GetKeySpan());
            if (TryGetAccount(accountId, scope.Options, out AccountView a)) result.Add(a);
        }
        return result;
    }

    /// <summary>Every account the view holds, in id order (audits compare these with a replay).</summary>
    public IEnumerable<AccountView> EnumerateAccounts()
    {
        byte[] start = [ReadModelKeys.Account];
        var ids = new List<UInt128>();
        using (var scope = new ReadScope(_db))
        using (Iterator it = _db.NewIterator(null, scope.Options))
        {
            for (it.Seek(start); it.Valid(); it.Next())
            {
                ReadOnlySpan<byte> k = it.GetKeySpan();
                if (k.Length != ReadModelKeys.IdKeyBytes || k[0] != ReadModelKeys.Account) break;
                ids.Add(BinaryPrimitives.ReadUInt128BigEndian(k.Slice(1, 16)));
            }
        }
        foreach (UInt128 id in ids)
        {
            if (TryGetAccount(id, out AccountView a, out _)) yield return a;
        }
    }

    /// <summary>The cursor text for "after the row at (index, ordinal)" (binary protocols carry the two numbers).</summary>
    public static string FormatCursor(long index, uint ordinal) =>
        index.ToString(CultureInfo.InvariantCulture) + "." + ordinal.ToString(CultureInfo.InvariantCulture);

    private static (long, uint) ParseCursor(string cursor)
    {
        int dot = cursor.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || cursor.Length > 40
            || !long.TryParse(cursor.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long index)
            || !uint.TryParse(cursor.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint ordinal)
            || index < 1)
            throw new FormatException("invalid history cursor");
        return (index, ordinal);
    }

    /// <summary>
    /// Removes every row and the checkpoint in one atomic batch (keeping the format key): queries see the old view or
    /// an empty one. Flushed at once: batches ingested after it are on disk when ingested, and a range deletion lost
    /// in a crash while they survived would bring rows of the old view back under the new checkpoint.
    /// </summary>
    internal void Clear()
    {
        using var batch = new WriteBatch();
        byte[] start = [0x00];
        byte[] end = [0xFF];
        batch.DeleteRange(start, 1, end, 1, null);
        PutFormat(batch);
        _db.Write(batch, _writeOptions);
        Flush();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _db.Dispose();
    }

    /// <summary>A RocksDB snapshot and the read options bound to it, for one consistent query.</summary>
    private readonly struct ReadScope : IDisposable
    {
        private readonly Snapshot _snapshot;
        public ReadOptions Options { get; }

        public ReadScope(RocksDb db)
        {
            _snapshot = db.CreateSnapshot();
            Options = new ReadOptions().SetSnapshot(_snapshot);
        }

        public void Dispose()
        {
            _snapshot.Dispose();
        }
    }
}
