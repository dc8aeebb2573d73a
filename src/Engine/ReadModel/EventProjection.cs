using System.Buffers.Binary;
using System.Runtime.InteropServices;
using RocksDbSharp;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Turns event-journal records into read-model rows, accumulated in one RocksDB write batch together with the
/// checkpoint that covers them: a batch is applied whole or not at all, so the view is always exactly "every
/// event up to the checkpoint". Pure puts (no reads): each event carries the balances after it, so no
/// read-modify-write is needed and a later put of the same key in the same batch simply wins. A transfer costs one
/// put plus its share of two history chunks (<see cref="HistoryChunkBuilder"/>: one put per account and batch, not
/// per row); holds add a status row. The balance "now" of an account is its newest history row, not a separate key.
/// Every put reaches RocksDB in key order: by default the whole batch, checkpoint included, becomes sorted SST files
/// with disjoint key ranges, ingested together atomically (<see cref="SstIngester"/>); on the write-batch path the
/// keys are sorted within each table (much faster memtable inserts: see <see cref="SortedPutBuffer"/>). This thread collects, groups and
/// sorts a <see cref="PendingBatch"/>; a <see cref="BatchWriter"/> thread writes it while the next one is collected.
/// </summary>
internal sealed class EventProjection : IDisposable
{
    // Two batches: one being collected here while the other is filled and written by _writer.
    private readonly PendingBatch[] _batches;
    private PendingBatch _current;
    private readonly BatchWriter _writer;
    private readonly byte[] _key = new byte[64];
    private readonly byte[] _value = new byte[TransferRowCodec.MaxEncodedBytes];
    private ViewPosition _position;
    private ViewPosition _written;
    private int _records;
    private int _events;
    // The history epoch being filled (its first log index; 0: none yet) and its rows so far; see ReadModelKeys.
    private long _epoch;
    private long _epochRows;
    private readonly int _epochRowsLimit;
    private long _batchFirstIndex;

    /// <summary>Starts collecting after <paramref name="start"/>; <paramref name="options"/> give the write path and
    /// the batch limit (which sizes the buffers).</summary>
    public EventProjection(ViewPosition start, ReadModelStore store, ReadModelOptions options)
    {
        _batches = [new PendingBatch(options.MaxEventsPerBatch), new PendingBatch(options.MaxEventsPerBatch)];
        (_epoch, _epochRows) = store.HistoryEpochState;
        _epochRowsLimit = options.HistoryEpochRows;
        _position = start;
        _written = start;
        _writer = options.WritePath == ReadModelWritePath.Ingest
            ? new BatchWriter(store.Db, store.WriteOptions, new SstIngester(store.Db, store.IngestDirectory), options.IngestMinEvents)
            : new BatchWriter(store.Db, store.WriteOptions);
        _current = _batches[0];
    }

    /// <summary>Position after everything added so far (written with the batch being filled).</summary>
    public ViewPosition Position => _position;
    /// <summary>Position of the last batch whose write completed: what the database holds (and queries see).</summary>
    public ViewPosition Written => _written;
    /// <summary>True while a committed batch is still being written.</summary>
    public bool WriteInFlight => _writer.State == BatchWriterState.Writing;
    public int PendingRecords => _records;
    public int PendingEvents => _events;

    /// <summary>Adds one event-journal record (one command's events, possibly none).</summary>
    public void Add(in JournalRecord record)
    {
        if (_records == 0) _batchFirstIndex = record.Index;
        ReadOnlySpan<LedgerEventEntry> entries = LedgerEventEntry.Parse(record.Payload);
        for (int i = 0; i < entries.Length; i++)
        {
            Apply(in entries[i], record.Index, record.Timestamp, (uint)i);
        }
        if (entries.Length > 0)
        {
            ReadModelKeys.WriteTime(_key, record.Timestamp, record.Index);
            _current.Puts.Put(_key.AsSpan(0, ReadModelKeys.TimeKeyBytes), ReadOnlySpan<byte>.Empty);
        }
        _position = new ViewPosition(record.Index, record.Timestamp, record.Checksum, _position.EventsApplied + entries.Length);
        _records++;
        _events += entries.Length;
    }

    /// <summary>
    /// Closes the batch (rows + checkpoint, applied atomically) and starts writing it in the background, after the
    /// previous batch's write completed (<see cref="Written"/> then moves to it). Filling the next batch overlaps
    /// this write; <see cref="Drain"/> waits for it.
    /// </summary>
    public void Commit()
    {
        if (_records == 0) return;
        if (_current.History.Count > 0)
        {
            // A full epoch ends at a batch boundary: the next one starts at this batch's first record, after every row
            // of the earlier epochs (records arrive in index order) and before every row of this batch.
            if (_epoch == 0 || _epochRows >= _epochRowsLimit)
            {
                if (_batchFirstIndex <= _epoch) throw new InvalidOperationException($"history epoch {_batchFirstIndex} does not follow epoch {_epoch}");
                _epoch = _batchFirstIndex;
                _epochRows = 0;
            }
            _epochRows += _current.History.Count;
            _current.History.Epoch = _epoch;
            ReadModelKeys.WriteHistoryEpoch(_key, _epoch);
            Span<byte> rows = stackalloc byte[ReadModelKeys.HistoryEpochValueBytes];
            BinaryPrimitives.WriteInt64LittleEndian(rows, _epochRows);
            _current.Puts.Put(_key.AsSpan(0, ReadModelKeys.HistoryEpochKeyBytes), rows);
        }
        ViewPosition position = _position;
        _key[0] = ReadModelKeys.Checkpoint;
        _current.Puts.Put(_key.AsSpan(0, 1), MemoryMarshal.AsBytes(new ReadOnlySpan<ViewPosition>(in position)));
        _current.Position = position;
        _current.Events = _events;
        _current.Prepare();
        Drain();
        _writer.Submit(_current);
        _current = _current == _batches[0] ? _batches[1] : _batches[0];
        _records = 0;
        _events = 0;
    }

    /// <summary>Waits for the batch being written (if any); rethrows its failure. <see cref="Written"/> is then current.</summary>
    public void Drain()
    {
        if (!WriteInFlight) return;
        PendingBatch inFlight = _current == _batches[0] ? _batches[1] : _batches[0];
        _writer.Wait();
        _written = inFlight.Position;
    }

    private void Apply(in LedgerEventEntry e, long index, long commandTimestamp, uint ordinal)
    {
        switch (e.Kind)
        {
            case LedgerEventKind.AccountCreated:
            case LedgerEventKind.AccountClosed:
            {
                Account account = e.Account;
                PutStruct(ReadModelKeys.Account, account.Id, in account);
                PutHistory(account.Id, new HistoryRow
                {
                    Kind = e.Kind, Side = HistorySide.Account, Index = index, CommandTimestamp = commandTimestamp,
                    EventTimestamp = e.Timestamp, Ordinal = ordinal, After = e.DebitAfter,
                });
                if (e.Kind == LedgerEventKind.AccountCreated && account.UserData128 != UInt128.Zero)
                {
                    ReadModelKeys.WriteUserData(_key, account.UserData128, account.Id);
                    _current.Puts.Put(_key.AsSpan(0, ReadModelKeys.UserDataKeyBytes), ReadOnlySpan<byte>.Empty);
                }
                break;
            }
            case LedgerEventKind.TransferPosted:
            case LedgerEventKind.PendingCreated:
            case LedgerEventKind.PendingPosted:
            case LedgerEventKind.PendingVoided:
            case LedgerEventKind.PendingExpired:
                ApplyTransfer(in e, index, commandTimestamp, ordinal);
                break;
            default:
                throw new InvalidDataException($"event journal record {index}: unknown event kind {(ushort)e.Kind}");
        }
    }

    private void ApplyTransfer(in LedgerEventEntry e, long index, long commandTimestamp, uint ordinal)
    {
        Transfer t = e.Transfer;
        if (e.Kind != LedgerEventKind.PendingExpired)
        {
            // The transfer this command created (for an expiry, the hold itself already exists).
            PutTransfer(in t, index);
            // No status row means Posted (the common case costs no write).
            if (e.Kind == LedgerEventKind.PendingCreated) PutStatus(t.Id, new TransferStatusRow { Status = TransferStatus.Pending });
        }
        if (e.Kind is LedgerEventKind.PendingPosted or LedgerEventKind.PendingVoided or LedgerEventKind.PendingExpired)
        {
            TransferStatus resolved = e.Kind switch
            {
                LedgerEventKind.PendingPosted => TransferStatus.PendingPosted,
                LedgerEventKind.PendingVoided => TransferStatus.PendingVoided,
                _ => TransferStatus.PendingExpired,
            };
            PutStatus(e.PendingId, new TransferStatusRow
            {
                Status = resolved, ResolvedIndex = index,
                ResolvedBy = e.Kind == LedgerEventKind.PendingExpired ? UInt128.Zero : t.Id,
            });
        }
        var row = new HistoryRow
        {
            Kind = e.Kind, Side = HistorySide.Debit, Index = index, CommandTimestamp = commandTimestamp, EventTimestamp = e.Timestamp,
            TransferId = t.Id, CounterpartyId = t.CreditAccountId, Amount = t.Amount, Ordinal = ordinal, After = e.DebitAfter,
        };
        PutHistory(t.DebitAccountId, row);
        row.Side = HistorySide.Credit;
        row.CounterpartyId = t.DebitAccountId;
        row.After = e.CreditAfter;
        PutHistory(t.CreditAccountId, row);
    }

    private void PutHistory(UInt128 account, in HistoryRow row) => _current.History.Add(account, in row);

    private void PutTransfer(in Transfer transfer, long index)
    {
        int length = TransferRowCodec.Encode(in transfer, index, _value);
        ReadModelKeys.WriteId(_key, ReadModelKeys.Transfer, transfer.Id);
        _current.Transfers.Put(_key.AsSpan(0, ReadModelKeys.IdKeyBytes), _value.AsSpan(0, length));
    }

    private void PutStatus(UInt128 transferId, TransferStatusRow status)
    {
        ReadModelKeys.WriteId(_key, ReadModelKeys.Status, transferId);
        _current.Puts.Put(_key.AsSpan(0, ReadModelKeys.IdKeyBytes), MemoryMarshal.AsBytes(new ReadOnlySpan<TransferStatusRow>(in status)));
    }

    private void PutStruct<T>(byte table, UInt128 id, in T value) where T : unmanaged
    {
        ReadModelKeys.WriteId(_key, table, id);
        _current.Puts.Put(_key.AsSpan(0, ReadModelKeys.IdKeyBytes), MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));
    }

    /// <summary>Waits for the batch in flight (a failure is dropped: the checkpoint in the database says what landed).</summary>
    public void Dispose()
    {
        _writer.Dispose();
        _batches[0].Dispose();
        _batches[1].Dispose();
    }
}
