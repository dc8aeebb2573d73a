using System.Runtime.InteropServices;
using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Collects one write batch's history rows and writes them as chunks: per account, its rows of the batch in
/// (log index, ordinal) order, encoded back to back (<see cref="HistoryRowCodec"/>), at most <see cref="MaxRowsPerChunk"/> per chunk, keyed by the
/// batch's history epoch and the chunk's first row (<see cref="ReadModelKeys.WriteHistory"/>). Why: one put per row made history two of the three
/// puts per transfer, and RocksDB's memtable insert is paid per put; with 100k accounts and a quarter-million
/// events per batch, an account gets ~5 rows per batch, so the chunks cut the history puts about fivefold.
/// An account's chunks never overlap (each batch covers a later, disjoint range of log indexes), so the chunk that
/// holds the last row at or before (index, ordinal) is the one whose key is the last at or before it.
/// Deterministic: the dictionary only maps accounts to slots; the output order is the sorted account order.
/// Single-threaded; buffers grow to the largest batch seen and are then reused.
/// </summary>
internal sealed class HistoryChunkBuilder
{
    /// <summary>Rows per chunk at most: bounds the bytes a point query reads and decodes.</summary>
    public const int MaxRowsPerChunk = 256;

    private readonly Dictionary<UInt128, int> _slotOf = [];
    private readonly byte[] _chunk = new byte[MaxRowsPerChunk * HistoryRowCodec.MaxEncodedBytes];
    private UInt128[] _rowAccount = new UInt128[1024];
    private HistoryRow[] _rows = new HistoryRow[1024];
    private int[] _rowSlot = new int[1024];
    private int[] _order = new int[1024];
    private int _count;
    // Per slot (distinct account of the batch): account, rows, first position in _order.
    private UInt128[] _slotAccount = new UInt128[256];
    private UInt128[] _sortKeys = new UInt128[256];
    private int[] _sortedSlots = new int[256];
    private int[] _slotRows = new int[256];
    private int[] _slotStart = new int[256];
    private int _slots;
    private bool _grouped;
    private readonly int _rowsHint;

    /// <param name="rowsHint">Rows a full batch is expected to hold (the row arrays grow to exactly this, then double).</param>
    public HistoryChunkBuilder(int rowsHint = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowsHint);
        _rowsHint = rowsHint;
    }

    public int Count => _count;

    /// <summary>The history epoch this batch's chunks belong to (its first log index); set before the rows are written.</summary>
    public long Epoch { get; set; }
    /// <summary>Rows the buffers hold before they grow again (tests: the growth follows the hint).</summary>
    internal int RowCapacity => _rows.Length;

    /// <summary>Adds one row of <paramref name="account"/>; rows must come in (index, ordinal) order.</summary>
    public void Add(UInt128 account, in HistoryRow row)
    {
        if (_count == _rows.Length)
        {
            int size = BufferGrowth.Next(_rows.Length, _count + 1, _rowsHint);
            Array.Resize(ref _rows, size);
            Array.Resize(ref _rowAccount, size);
            Array.Resize(ref _rowSlot, size);
            Array.Resize(ref _order, size);
        }
        _rows[_count] = row;
        _rowAccount[_count] = account;
        _count++;
    }

    /// <summary>Groups the rows by account, accounts in key order (so that <see cref="MoveTo"/>, perhaps on another thread, only copies).</summary>
    public void Group()
    {
        if (_grouped || _count == 0) return;
        AssignSlots();
        // Accounts in key order (big-endian bytes of the id = numeric order of the id).
        Array.Copy(_slotAccount, _sortKeys, _slots);
        for (int s = 0; s < _slots; s++) _sortedSlots[s] = s;
        _sortKeys.AsSpan(0, _slots).Sort(_sortedSlots.AsSpan(0, _slots));
        int start = 0;
        for (int k = 0; k < _slots; k++)
        {
            int s = _sortedSlots[k];
            _slotStart[s] = start;
            start += _slotRows[s];
            _slotRows[s] = 0; // reused below as the fill cursor
        }
        // Scatter row numbers into account-major order, keeping arrival (= index, ordinal) order within an account.
        for (int i = 0; i < _count; i++)
        {
            int s = _rowSlot[i];
            _order[_slotStart[s] + _slotRows[s]++] = i;
        }
        _grouped = true;
    }

    /// <summary>Writes the chunks in key order (epoch, account, then log index) to <paramref name="batch"/>; then empties itself.</summary>
    public void MoveTo(WriteBatch batch) => EmitChunks(batch.Handle, toSstFile: false);

    /// <summary>
    /// Adds the chunks in key order to an open SST file writer (their keys are strictly ascending: one epoch, accounts
    /// in order, an account's chunks by first row, rows deduplicated); then empties itself.
    /// </summary>
    public void AddTo(IntPtr sstWriter) => EmitChunks(sstWriter, toSstFile: true);

    private unsafe void EmitChunks(IntPtr handle, bool toSstFile)
    {
        if (_count == 0) return;
        if (Epoch <= 0) throw new InvalidOperationException("the batch's history epoch was not set");
        Group();

        byte* key = stackalloc byte[ReadModelKeys.HistoryKeyBytes];
        var keySpan = new Span<byte>(key, ReadModelKeys.HistoryKeyBytes);
        Native native = Native.Instance;
        fixed (byte* chunk = _chunk)
        for (int k = 0; k < _slots; k++)
        {
            int s = _sortedSlots[k];
            Span<int> rows = Dedupe(_order.AsSpan(_slotStart[s], _slotRows[s]));
            for (int from = 0; from < rows.Length; from += MaxRowsPerChunk)
            {
                int n = Math.Min(MaxRowsPerChunk, rows.Length - from);
                ref readonly HistoryRow first = ref _rows[rows[from]];
                // Always-on guard: a row before its epoch would be unreachable by the queries' epoch walk.
                if (first.Index < Epoch) throw new InvalidOperationException($"history row at index {first.Index} is before its epoch {Epoch}");
                ReadModelKeys.WriteHistory(keySpan, Epoch, _slotAccount[s], first.Index, first.Ordinal);
                // Encoded (each row against the one before, the first against the key) into a small reused buffer
                // that stays in cache, then copied once into the native batch or file.
                var state = HistoryRowCodec.State.ForChunk(first.Index, first.Ordinal);
                int length = 0;
                for (int j = 0; j < n; j++) length += HistoryRowCodec.Encode(ref state, in _rows[rows[from + j]], _chunk.AsSpan(length));
                if (toSstFile)
                    native.rocksdb_sstfilewriter_put(handle, key, (UIntPtr)ReadModelKeys.HistoryKeyBytes, chunk, (UIntPtr)length);
                else
                    native.rocksdb_writebatch_put(handle, key, (UIntPtr)ReadModelKeys.HistoryKeyBytes, chunk, (UIntPtr)length);
            }
        }
        Clear();
    }

    public void Clear()
    {
        _count = 0;
        _slots = 0;
        _grouped = false;
        _slotOf.Clear();
    }

    private void AssignSlots()
    {
        for (int i = 0; i < _count; i++)
        {
            ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_slotOf, _rowAccount[i], out bool exists);
            if (!exists)
            {
                if (_slots == _slotAccount.Length)
                {
                    int size = _slots * 2;
                    Array.Resize(ref _slotAccount, size);
                    Array.Resize(ref _sortKeys, size);
                    Array.Resize(ref _sortedSlots, size);
                    Array.Resize(ref _slotRows, size);
                    Array.Resize(ref _slotStart, size);
                }
                slot = _slots;
                _slotAccount[_slots] = _rowAccount[i];
                _slotRows[_slots] = 0;
                _slots++;
            }
            _rowSlot[i] = slot;
            _slotRows[slot]++;
        }
    }

    /// <summary>
    /// Two rows of one account at the same (index, ordinal) would have been the same key: the later one wins, as a
    /// later put of the same key did when every row was its own put. Compacts <paramref name="rows"/> in place.
    /// </summary>
    private Span<int> Dedupe(Span<int> rows)
    {
        int kept = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            if (kept > 0)
            {
                ref readonly HistoryRow prev = ref _rows[rows[kept - 1]];
                ref readonly HistoryRow cur = ref _rows[rows[i]];
                if (prev.Index == cur.Index && prev.Ordinal == cur.Ordinal)
                {
                    rows[kept - 1] = rows[i];
                    continue;
                }
            }
            rows[kept++] = rows[i];
        }
        return rows[..kept];
    }
}
