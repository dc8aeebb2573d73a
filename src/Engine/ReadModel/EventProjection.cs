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
/// read-modify-write is needed and a later put of the same key in the same batch simply wins. A transfer costs three
/// puts (the transfer, one history row per account; holds add a status row): the balance "now" of an account is its
/// newest history row, not a separate key.
/// Puts go through a <see cref="SortedPutBuffer"/>, which hands them to RocksDB in key order (much faster memtable
/// inserts). Single-threaded (the projector's thread); buffers are reused.
/// </summary>
internal sealed class EventProjection : IDisposable
{
    private readonly WriteBatch _batch = new();
    private readonly SortedPutBuffer _puts = new();
    private readonly byte[] _key = new byte[64];
    private readonly byte[] _value = new byte[256];
    private ViewPosition _position;
    private int _records;
    private int _events;

    public EventProjection(ViewPosition start) => _position = start;

    /// <summary>Position after everything added so far (written with the batch).</summary>
    public ViewPosition Position => _position;
    public int PendingRecords => _records;
    public int PendingEvents => _events;

    /// <summary>Adds one event-journal record (one command's events, possibly none).</summary>
    public void Add(in JournalRecord record)
    {
        ReadOnlySpan<LedgerEventEntry> entries = LedgerEventEntry.Parse(record.Payload);
        for (int i = 0; i < entries.Length; i++)
        {
            Apply(in entries[i], record.Index, record.Timestamp, (uint)i);
        }
        if (entries.Length > 0)
        {
            ReadModelKeys.WriteTime(_key, record.Timestamp, record.Index);
            _puts.Put(_key.AsSpan(0, ReadModelKeys.TimeKeyBytes), ReadOnlySpan<byte>.Empty);
        }
        _position = new ViewPosition(record.Index, record.Timestamp, record.Checksum, _position.EventsApplied + entries.Length);
        _records++;
        _events += entries.Length;
    }

    /// <summary>Writes the batch and its checkpoint atomically, then starts a new batch.</summary>
    public void Commit(RocksDb db, WriteOptions options)
    {
        if (_records == 0) return;
        ViewPosition position = _position;
        _key[0] = ReadModelKeys.Checkpoint;
        _puts.Put(_key.AsSpan(0, 1), MemoryMarshal.AsBytes(new ReadOnlySpan<ViewPosition>(in position)));
        _puts.MoveTo(_batch);
        db.Write(_batch, options);
        _batch.Clear();
        _records = 0;
        _events = 0;
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
                    _puts.Put(_key.AsSpan(0, ReadModelKeys.UserDataKeyBytes), ReadOnlySpan<byte>.Empty);
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

    private void PutHistory(UInt128 account, in HistoryRow row)
    {
        ReadModelKeys.WriteHistory(_key, account, row.Index, row.Ordinal);
        _puts.Put(_key.AsSpan(0, ReadModelKeys.HistoryKeyBytes), MemoryMarshal.AsBytes(new ReadOnlySpan<HistoryRow>(in row)));
    }

    private void PutTransfer(in Transfer transfer, long index)
    {
        MemoryMarshal.Write(_value.AsSpan(0, Transfer.SizeBytes), in transfer);
        BinaryPrimitives.WriteInt64LittleEndian(_value.AsSpan(Transfer.SizeBytes, 8), index);
        ReadModelKeys.WriteId(_key, ReadModelKeys.Transfer, transfer.Id);
        _puts.Put(_key.AsSpan(0, ReadModelKeys.IdKeyBytes), _value.AsSpan(0, Transfer.SizeBytes + 8));
    }

    private void PutStatus(UInt128 transferId, TransferStatusRow status)
    {
        ReadModelKeys.WriteId(_key, ReadModelKeys.Status, transferId);
        _puts.Put(_key.AsSpan(0, ReadModelKeys.IdKeyBytes), MemoryMarshal.AsBytes(new ReadOnlySpan<TransferStatusRow>(in status)));
    }

    private void PutStruct<T>(byte table, UInt128 id, in T value) where T : unmanaged
    {
        ReadModelKeys.WriteId(_key, table, id);
        _puts.Put(_key.AsSpan(0, ReadModelKeys.IdKeyBytes), MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));
    }

    public void Dispose() => _batch.Dispose();
}
