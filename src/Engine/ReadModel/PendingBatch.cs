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
    /// <summary>Accounts, statuses, user data, time index, checkpoint: few per batch.</summary>
    public SortedPutBuffer Puts { get; } = new();
    /// <summary>Transfers by id: usually already in id order (ids ascending), then not sorted at all.</summary>
    public SortedPutBuffer Transfers { get; } = new();
    public HistoryChunkBuilder History { get; } = new();
    public WriteBatch Native { get; } = new();
    /// <summary>The checkpoint this batch writes.</summary>
    public ViewPosition Position { get; set; }

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
    /// Writer thread, ingest path: adds every row and the checkpoint to an open SST file writer in one strictly
    /// ascending key order across all tables — A, C (puts), H (history chunks), R, S (puts), T (transfers), U (puts) —
    /// and empties the managed buffers. The puts never hold 'H' or 'T' keys (those have buffers of their own); if a
    /// key ever came out of order, the SST writer refuses it and the batch fails whole (nothing is ingested).
    /// </summary>
    public void WriteSorted(IntPtr sstWriter)
    {
        int put = 0;
        int transfer = 0;
        Puts.AddTo(sstWriter, ref put, ReadModelKeys.History);
        History.AddTo(sstWriter);
        Puts.AddTo(sstWriter, ref put, ReadModelKeys.Transfer);
        Transfers.AddTo(sstWriter, ref transfer, 256);
        Puts.AddTo(sstWriter, ref put, 256);
        Puts.Clear();
        Transfers.Clear();
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
