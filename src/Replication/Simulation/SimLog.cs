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

    public long FirstIndex => 1;

    public long LastIndex => _entries.Count;

    public long LastTerm => _entries.Count == 0 ? 0 : _entries[^1].Term;

    public long LastTimestampNs => _entries.Count == 0 ? 0 : _entries[^1].TimestampNs;

    public long DurableIndex => _durableCount;

    public int MaxCursors => 8;

    /// <summary>Records cut by recovery because they were torn.</summary>
    public int TornRecordsDiscarded { get; private set; }

    /// <summary>Volatile records lost to crashes.</summary>
    public int VolatileRecordsLost { get; private set; }

    public long TermAt(long index)
    {
        if (index == 0) return 0;
        return index < 1 || index > _entries.Count ? -1 : _entries[(int)index - 1].Term;
    }

    public void Append(ushort type, long index, long term, long timestampNs, ReadOnlySpan<byte> payload)
    {
        if (index != _entries.Count + 1) throw new ArgumentException($"Index {index} must be {_entries.Count + 1}.", nameof(index));
        if (type == 0) throw new ArgumentException("Type 0 is reserved.", nameof(type));
        if (timestampNs < LastTimestampNs) throw new ArgumentException($"Timestamp {timestampNs} before {LastTimestampNs}.", nameof(timestampNs));
        var bytes = payload.ToArray();
        _entries.Add(new Entry(type, term, timestampNs, bytes, Checksum(type, term, timestampNs, bytes)));
    }

    public void TruncateAfter(long index)
    {
        if (index < 0 || index > _entries.Count) throw new ArgumentOutOfRangeException(nameof(index));
        _entries.RemoveRange((int)index, _entries.Count - (int)index);
        if (_durableCount > index) _durableCount = (int)index; // a truncation is synced at once (as the journal's is)
    }

    public long Flush()
    {
        _durableCount = _entries.Count;
        return _durableCount;
    }

    public bool TryRead(int cursor, long index, out RaftLogEntry entry)
    {
        if (index < 1 || index > _entries.Count)
        {
            entry = default;
            return false;
        }

        var e = _entries[(int)index - 1];
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
