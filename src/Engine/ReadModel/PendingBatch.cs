using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// One write batch of the projection on its way to RocksDB: the rows the projection thread collected (grouped and
/// sorted there by <see cref="Prepare"/>), then copied into the native batch and written by the
/// <see cref="BatchWriter"/> thread (<see cref="Fill"/>). The projection keeps two and alternates, so the copy and
/// the write of one overlap the decoding of the next. Owned by one thread at a time (handed over through the
/// writer's semaphores). Buffers are reused.
/// </summary>
internal sealed class PendingBatch : IDisposable
{
    /// <summary>Events one record may add past the batch's limit (the batch closes after the record that reaches it): a
    /// command of the ledger's largest batch (8,190 items) with up to two events per item.</summary>
    public const int RecordEventsSlack = 16_384;
    /// <summary>Key and value bytes of a typical transfer row put (17-byte key, ~50–70-byte compact row): the arena's hint per transfer.</summary>
    private const int TransferPutBytesHint = 96;

    /// <param name="maxEvents">The batch's event limit (<see cref="ReadModelOptions.MaxEventsPerBatch"/>; 0: no hint): buffers
    /// grow to what a full batch needs, not to the next power of two past it.</param>
    public PendingBatch(int maxEvents = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEvents);
        int events = maxEvents == 0 ? 0 : maxEvents + RecordEventsSlack;
        Transfers = new SortedPutBuffer(entriesHint: events, arenaHint: events * TransferPutBytesHint);
        History = new HistoryChunkBuilder(rowsHint: 2 * events); // a transfer is a row of each of its two accounts
    }

    /// <summary>Accounts, statuses, user data, time index, checkpoint: few per batch.</summary>
    public SortedPutBuffer Puts { get; } = new();
    /// <summary>Transfers by id: usually already in id order (ids ascending), then not sorted at all.</summary>
    public SortedPutBuffer Transfers { get; }
    public HistoryChunkBuilder History { get; }
    public WriteBatch Native { get; } = new();
    /// <summary>The checkpoint this batch writes.</summary>
    public ViewPosition Position { get; set; }
    /// <summary>Event entries the batch holds (decides its write path: <see cref="ReadModelOptions.IngestMinEvents"/>).</summary>
    public int Events { get; set; }

    /// <summary>Projection thread: sorts and groups, the part of the work that is not copying.</summary>
    public void Prepare()
    {
        Puts.Sort();
        Transfers.Sort();
        History.Group();
    }

    /// <summary>
    /// Writer thread: copies everything into the native batch in key order within each table (A, C, R, S, U sorted
    /// together, then H, then T) and empties the managed buffers.
    /// </summary>
    public void Fill()
    {
        Puts.MoveTo(Native);
        History.MoveTo(Native);
        Transfers.MoveTo(Native);
    }

    /// <summary>
    /// Writer thread, ingest path: writes every row and the checkpoint as SST files with disjoint key ranges, in one
    /// strictly ascending key order — [A, C, E (puts below 'H')], [H (history chunks)], [R], [S],
    /// [T (transfers)], [U] — one file per non-empty range, and empties the managed buffers. Why several files:
    /// transfer ids and time-index keys only grow, so the T and R files of a batch overlap nothing older and RocksDB
    /// places them straight in the last level (never compacted again); the H file overlaps only the current history
    /// epoch's chunks (older epochs are never merged again, <see cref="ReadModelKeys"/>); the first file and the S/U
    /// files overlap older data and land in L0 (or just above the data they overlap). The first two are written
    /// uncompressed (a compaction soon rewrites them, compressed). The puts never hold 'H' or 'T' keys (those
    /// have buffers of their own): a put with a key of neither range would break the files' disjointness, so it fails
    /// the batch whole (nothing is ingested), as a key out of order within a file does (the SST writer refuses it).
    /// </summary>
    public void WriteSorted(SstFileSet files)
    {
        int put = 0;
        int transfer = 0;
        files.Begin(compress: false);
        Puts.AddTo(files.Writer, ref put, ReadModelKeys.History);
        files.End();
        RefuseBelow(put, ReadModelKeys.History + 1);
        if (History.Count > 0)
        {
            files.Begin(compress: false);
            History.AddTo(files.Writer);
            files.End();
        }
        RefuseBelow(put, ReadModelKeys.TimeIndex);
        AddPutsFile(files, ref put, ReadModelKeys.Status); // R
        AddPutsFile(files, ref put, ReadModelKeys.Transfer); // S
        RefuseBelow(put, ReadModelKeys.UserData);
        if (Transfers.Count > 0)
        {
            files.Begin();
            Transfers.AddTo(files.Writer, ref transfer, 256);
            files.End();
        }
        AddPutsFile(files, ref put, 256); // U and anything after
        Puts.Clear();
        Transfers.Clear();
    }

    private void AddPutsFile(SstFileSet files, ref int put, int firstByteLimit)
    {
        if (!Puts.HasBelow(put, firstByteLimit)) return;
        files.Begin();
        Puts.AddTo(files.Writer, ref put, firstByteLimit);
        files.End();
    }

    private void RefuseBelow(int put, int firstByteLimit)
    {
        if (Puts.HasBelow(put, firstByteLimit))
            throw new InvalidDataException($"read model: a batch put a key of table '{(char)Puts.FirstByteAt(put)}' among the plain puts (it has a buffer of its own)");
    }

    /// <summary>Empties the managed buffers and the native batch (after a write, or a failed one).</summary>
    public void Clear()
    {
        Puts.Clear();
        Transfers.Clear();
        History.Clear();
        Native.Clear();
    }

    public void Dispose() => Native.Dispose();
}
