using Wallet.Engine.Journal;

namespace Wallet.Replication.Simulation;

/// <summary>
/// Simulated disk holding one replica's log: a durable prefix (what the last <see cref="Flush"/> synced) and a volatile
/// tail. <see cref="Crash"/> models a machine crash mid-write: a random part of the volatile tail reached the platter,
/// the next record may be torn (its bytes half written, caught by its CRC on recovery), everything after is gone.
/// Recovery (<see cref="Recover"/>) cuts the log at the first record whose checksum fails, like the real journal.
/// </summary>
public sealed class SimLog : IRaftLog
{
    private readonly List<Entry> _entries = new();
    private int _durableCount;

    // The compaction boundary: entries up to _baseIndex are gone (covered by a snapshot); their last term/timestamp kept.
    private long _baseIndex;
    private long _baseTerm;
    private long _baseTimestampNs;

    public long FirstIndex => _baseIndex + 1;

    public long LastIndex => _baseIndex + _entries.Count;

    public long LastTerm => _entries.Count == 0 ? _baseTerm : _entries[^1].Term;

    public long LastTimestampNs => _entries.Count == 0 ? _baseTimestampNs : _entries[^1].TimestampNs;

    public long DurableIndex => _baseIndex + _durableCount;

    public int MaxCursors => 8;

    /// <summary>Records cut by recovery because they were torn.</summary>
    public int TornRecordsDiscarded { get; private set; }

    /// <summary>Volatile records lost to crashes.</summary>
    public int VolatileRecordsLost { get; private set; }

    public long TermAt(long index)
    {
        if (index == _baseIndex) return _baseTerm;
        return index <= _baseIndex || index > LastIndex ? -1 : _entries[(int)(index - _baseIndex) - 1].Term;
    }

    public void Append(ushort type, long index, long term, long timestampNs, ReadOnlySpan<byte> payload)
    {
        if (index != LastIndex + 1) throw new ArgumentException($"Index {index} must be {LastIndex + 1}.", nameof(index));
        if (type == 0) throw new ArgumentException("Type 0 is reserved.", nameof(type));
        if (timestampNs < LastTimestampNs) throw new ArgumentException($"Timestamp {timestampNs} before {LastTimestampNs}.", nameof(timestampNs));
        var bytes = payload.ToArray();
        _entries.Add(new Entry(type, term, timestampNs, bytes, Checksum(type, term, timestampNs, bytes)));
    }

    public void TruncateAfter(long index)
    {
        if (index < _baseIndex || index > LastIndex) throw new ArgumentOutOfRangeException(nameof(index));
        var keep = (int)(index - _baseIndex);
        _entries.RemoveRange(keep, _entries.Count - keep);
        if (_durableCount > keep) _durableCount = keep; // a truncation is synced at once (as the journal's is)
    }

    public void ResetAfterSnapshot(long index, long term, long timestampNs)
    {
        // Synced at once, like the journal's reset: the new boundary and the empty log survive any crash.
        _entries.Clear();
        _durableCount = 0;
        _baseIndex = index;
        _baseTerm = term;
        _baseTimestampNs = timestampNs;
    }

    /// <summary>Retention: drops durable entries before <paramref name="index"/> (they are covered by a snapshot).</summary>
    public void CompactBefore(long index)
    {
        var drop = (int)Math.Min(index - 1 - _baseIndex, _durableCount);
        if (drop <= 0) return;
        var boundary = _entries[drop - 1];
        _baseIndex += drop;
        _baseTerm = boundary.Term;
        _baseTimestampNs = boundary.TimestampNs;
        _entries.RemoveRange(0, drop);
        _durableCount -= drop;
    }

    public long Flush()
    {
        _durableCount = _entries.Count;
        return DurableIndex;
    }

    public bool TryRead(int cursor, long index, out RaftLogEntry entry)
    {
        if (index <= _baseIndex || index > LastIndex)
        {
            entry = default;
            return false;
        }

        var e = _entries[(int)(index - _baseIndex) - 1];
        entry = new RaftLogEntry(index, e.Term, e.Type, e.TimestampNs, e.Payload);
        return true;
    }

    /// <summary>Machine crash: keeps the durable prefix, a random part of the volatile tail, maybe one torn record.</summary>
    public void Crash(SimRandom random)
    {
        var tail = _entries.Count - _durableCount;
        if (tail > 0)
        {
            var survivors = random.NextInt(0, tail + 1);
            var cut = _durableCount + survivors;
            if (cut < _entries.Count && random.Chance(500_000))
            {
                // The record after the survivors was being written: half its bytes are there, its checksum is not.
                var torn = _entries[cut];
                var half = torn.Payload.Length / 2;
                var garbled = torn.Payload.ToArray();
                if (garbled.Length > 0) garbled[half] ^= 0x5A;
                _entries[cut] = torn with { Payload = garbled, Crc = garbled.Length > 0 ? torn.Crc : torn.Crc ^ 1 };
                cut++;
            }

            VolatileRecordsLost += _entries.Count - cut;
            _entries.RemoveRange(cut, _entries.Count - cut);
        }

        Recover();
    }

    /// <summary>Restart scan: every record is checked against its checksum; the log ends before the first bad one.</summary>
    public void Recover()
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (Checksum(e.Type, e.Term, e.TimestampNs, e.Payload) != e.Crc)
            {
                if (i < _durableCount) throw new InvalidOperationException($"Simulated disk lost durable record {i + 1}.");
                TornRecordsDiscarded += _entries.Count - i;
                _entries.RemoveRange(i, _entries.Count - i);
                break;
            }
        }

        _durableCount = _entries.Count; // what survived recovery is on disk
    }

    private static uint Checksum(ushort type, long term, long timestampNs, byte[] payload)
    {
        Span<byte> header = stackalloc byte[18];
        BitConverter.TryWriteBytes(header, type);
        BitConverter.TryWriteBytes(header[2..], term);
        BitConverter.TryWriteBytes(header[10..], timestampNs);
        return Crc32C.Append(Crc32C.Compute(header), payload);
    }

    private sealed record Entry(ushort Type, long Term, long TimestampNs, byte[] Payload, uint Crc);
}
