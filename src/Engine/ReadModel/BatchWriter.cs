using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>State of the one write batch a <see cref="BatchWriter"/> may have in flight.</summary>
internal enum BatchWriterState
{
    Idle,
    Writing,
    Stopped,
}

/// <summary>
/// Fills and writes the projection's batches on a thread of its own, so that building batch N+1 (decode, group,
/// sort: the projection thread) overlaps writing batch N (this thread): either as SST files ingested into the
/// database (<see cref="SstIngester"/>, the default path, for batches of at least a given size) or as a native write
/// batch inserted into the memtable; on
/// two cores the two halves of the work run side by side instead of one after the other.
/// At most one batch is in flight: <see cref="Submit"/> first waits for the previous write, so memory stays bounded
/// and batches reach the database in order. A write's failure is rethrown to the projection thread by the next
/// <see cref="Submit"/> or <see cref="Wait"/>. The caller must not touch a submitted batch until <see cref="Wait"/>
/// (or the next <see cref="Submit"/>) returns. Blocks on semaphores, never spins.
/// </summary>
internal sealed class BatchWriter : IDisposable
{
    private readonly RocksDb _db;
    private readonly WriteOptions _options;
    private readonly SstIngester? _ingester;
    private readonly int _ingestMinEvents;
    private readonly SemaphoreSlim _work = new(0, 1);
    private readonly SemaphoreSlim _done = new(0, 1);
    private readonly Thread _thread;
    private PendingBatch? _batch;
    private Exception? _error;
    private BatchWriterState _state = BatchWriterState.Idle;
    private volatile bool _stopping;

    /// <summary>A writer that writes each batch to the memtable with <paramref name="options"/>, or, given
    /// <paramref name="ingester"/>, ingests it as SST files — every batch of at least <paramref name="ingestMinEvents"/>
    /// events (0: every batch), the smaller ones still through the memtable.</summary>
    public BatchWriter(RocksDb db, WriteOptions options, SstIngester? ingester = null, int ingestMinEvents = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ingestMinEvents);
        _db = db;
        _options = options;
        _ingester = ingester;
        _ingestMinEvents = ingestMinEvents;
        _thread = new Thread(Loop) { IsBackground = true, Name = "readmodel-write" };
        _thread.Start();
    }

    public BatchWriterState State => _state;

    /// <summary>Waits for the batch in flight (if any), then starts writing <paramref name="batch"/>.</summary>
    public void Submit(PendingBatch batch)
    {
        Wait();
        ObjectDisposedException.ThrowIf(_state == BatchWriterState.Stopped, this);
        _batch = batch;
        _state = BatchWriterState.Writing;
        _work.Release();
    }

    /// <summary>Waits until no batch is in flight; rethrows the failure of the batch that was.</summary>
    public void Wait()
    {
        if (_state != BatchWriterState.Writing) return;
        _done.Wait();
        _state = BatchWriterState.Idle;
        _batch = null;
        Exception? error = Interlocked.Exchange(ref _error, null);
        if (error is not null) throw new IOException("read model: writing a batch failed: " + error.Message, error);
    }

    private void Loop()
    {
        Ring.BackgroundPriority.LowerCurrentThread(); // as the projector it serves: behind the request path
        while (true)
        {
            _work.Wait();
            if (_stopping) return;
            try
            {
                PendingBatch batch = _batch!;
                // Small batches (a live trickle) go through the memtable: a batch's files, fsyncs and ingestion cost the
                // same at 10 events as at 200,000, and each ingested batch is one more L0 file (BENCHMARKS §31). Mixing
                // is safe: an ingestion overlapping the memtable (the checkpoint key always does) makes RocksDB flush
                // it first, so batches reach disk in order, and the ingested files get the newer sequence numbers.
                if (_ingester is not null && batch.Events >= _ingestMinEvents)
                {
                    _ingester.Ingest(batch);
                }
                else
                {
                    batch.Fill();
                    _db.Write(batch.Native, _options);
                }
            }
#pragma warning disable CA1031 // Handed to the projection thread, which reports it and retries from the checkpoint.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Volatile.Write(ref _error, ex);
            }
            finally
            {
                _batch!.Clear();
            }
            _done.Release();
        }
    }

    /// <summary>Waits for the batch in flight (its failure is dropped: the checkpoint says what landed), then ends the thread.</summary>
    public void Dispose()
    {
        if (_state == BatchWriterState.Stopped) return;
        try
        {
            Wait();
        }
        catch (IOException)
        {
            // Already visible through the checkpoint: the next projection resumes after the last batch that landed.
        }
        _state = BatchWriterState.Stopped;
        _stopping = true;
        _work.Release();
        _thread.Join();
        _work.Dispose();
        _done.Dispose();
    }
}
