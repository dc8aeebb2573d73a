using RocksDbSharp;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// Walks one account's history chunks in (log index, ordinal) order across history epochs (<see cref="ReadModelKeys"/>):
/// an epoch iterator over the 'E' keys names the epochs in order, and a history iterator moves within one epoch's
/// chunks of the account. Positioning costs one seek on each, plus one history seek per epoch passed in which the
/// account has no (early enough) chunk — an account idle for k epochs costs k more seeks, in RocksDB's cached index
/// and data blocks (the epochs are few: ~4M rows each); stepping costs a seek only when it leaves an epoch. Every read
/// sees the caller's snapshot (its <see cref="ReadOptions"/>). Not thread-safe; dispose it (it owns two native
/// iterators).
/// </summary>
internal sealed class HistoryCursor : IDisposable
{
    private readonly Iterator _epochs;
    private readonly Iterator _history;
    private readonly UInt128 _account;
    private readonly byte[] _epochKey = new byte[ReadModelKeys.HistoryEpochKeyBytes];
    private readonly byte[] _historyKey = new byte[ReadModelKeys.HistoryKeyBytes];
    private long _epoch;

    public HistoryCursor(RocksDb db, ReadOptions read, UInt128 account)
    {
        _account = account;
        _epochs = db.NewIterator(null, read);
        _history = db.NewIterator(null, read);
    }

    /// <summary>The current chunk's key (valid after a move that returned true).</summary>
    public ReadOnlySpan<byte> Key => _history.GetKeySpan();
    /// <summary>The current chunk's value (valid after a move that returned true).</summary>
    public ReadOnlySpan<byte> Value => _history.GetValueSpan();

    /// <summary>
    /// Moves to the chunk that holds the account's last row at or before (<paramref name="index"/>,
    /// <paramref name="ordinal"/>) — the chunk whose first row is the last at or before it (chunks never overlap);
    /// false when the account has no row that early.
    /// </summary>
    public bool SeekLastAtOrBefore(long index, uint ordinal)
    {
        // The newest epoch that starts at or before the index: its rows are the latest that can qualify.
        ReadModelKeys.WriteHistoryEpoch(_epochKey, index);
        _epochs.SeekForPrev(_epochKey);
        while (OnEpoch())
        {
            ReadModelKeys.WriteHistory(_historyKey, _epoch, _account, index, ordinal);
            _history.SeekForPrev(_historyKey);
            if (OnChunk()) return true;
            // No row of the account in that epoch at or before the index: its last row of an earlier epoch is the one.
            _epochs.Prev();
            index = long.MaxValue;
            ordinal = uint.MaxValue;
        }
        return false;
    }

    /// <summary>
    /// The last log record with events stamped at or before <paramref name="timestampNs"/> (0: none), from the time
    /// index ('R'), read with this cursor's epoch iterator (one iterator fewer for a time-ranged page; the next move
    /// positions it again).
    /// </summary>
    public long LastIndexStampedAtOrBefore(long timestampNs)
    {
        Span<byte> key = stackalloc byte[ReadModelKeys.TimeKeyBytes];
        ReadModelKeys.WriteTime(key, timestampNs, long.MaxValue);
        _epochs.SeekForPrev(key);
        if (!_epochs.Valid()) return 0;
        ReadOnlySpan<byte> found = _epochs.GetKeySpan();
        return found.Length == ReadModelKeys.TimeKeyBytes && found[0] == ReadModelKeys.TimeIndex ? ReadModelKeys.TimeIndexOf(found) : 0;
    }

    /// <summary>Moves to the account's first chunk; false if it has none.</summary>
    public bool SeekFirst()
    {
        ReadModelKeys.WriteHistoryEpoch(_epochKey, 0);
        _epochs.Seek(_epochKey);
        return FirstInEpochOrLater();
    }

    /// <summary>Moves to the account's next chunk (later rows); false past its last.</summary>
    public bool Next()
    {
        _history.Next();
        if (OnChunk()) return true;
        _epochs.Next();
        return FirstInEpochOrLater();
    }

    /// <summary>Moves to the account's previous chunk (earlier rows); false before its first.</summary>
    public bool Prev()
    {
        _history.Prev();
        if (OnChunk()) return true;
        _epochs.Prev();
        while (OnEpoch())
        {
            ReadModelKeys.WriteHistory(_historyKey, _epoch, _account, long.MaxValue, uint.MaxValue);
            _history.SeekForPrev(_historyKey);
            if (OnChunk()) return true;
            _epochs.Prev();
        }
        return false;
    }

    /// <summary>From the epoch under the epoch iterator (or a later one): the account's first chunk in it.</summary>
    private bool FirstInEpochOrLater()
    {
        while (OnEpoch())
        {
            ReadModelKeys.WriteHistory(_historyKey, _epoch, _account, 0, 0);
            _history.Seek(_historyKey);
            if (OnChunk()) return true;
            _epochs.Next();
        }
        return false;
    }

    /// <summary>True (and the epoch taken) when the epoch iterator is on an 'E' key.</summary>
    private bool OnEpoch()
    {
        if (!_epochs.Valid()) return false;
        ReadOnlySpan<byte> key = _epochs.GetKeySpan();
        if (key.Length != ReadModelKeys.HistoryEpochKeyBytes || key[0] != ReadModelKeys.HistoryEpoch) return false;
        _epoch = ReadModelKeys.HistoryEpochKeyEpoch(key);
        return true;
    }

    /// <summary>True when the history iterator is on a chunk of the account in the current epoch.</summary>
    private bool OnChunk()
    {
        if (!_history.Valid()) return false;
        ReadOnlySpan<byte> key = _history.GetKeySpan();
        return key.Length == ReadModelKeys.HistoryKeyBytes && ReadModelKeys.HasPrefix(key, _historyKey, ReadModelKeys.HistoryPrefixBytes);
    }

    public void Dispose()
    {
        _history.Dispose();
        _epochs.Dispose();
    }
}
