namespace Wallet.Engine.Journal;

/// <summary>
/// Forward reader over a journal, crossing segments transparently. It maps segment files read-only on its own and
/// re-validates every record (CRC, index, chain, timestamps), every link between segments and the zeros after a
/// sealed segment's records — what a full open checks, for the records it passes. It stops at the owner's published
/// LastIndex, which the writer stores with release semantics after a record is complete; the reader loads it with
/// acquire semantics, so it never observes a partially written record. Single-threaded itself: one reader per thread.
/// </summary>
public sealed class JournalReader : IDisposable
{
    private readonly Journal _owner;
    private SegmentFile? _segment;
    private long _segmentSizeBytes;
    private long _offsetBytes;
    private ChainState _state;
    private bool _positioned;
    private bool _disposed;
    private long _releasedUpToBytes; // this reader's mapping maps nothing of the current segment below this

    /// <summary>
    /// A reader lets go of its mapping's pages behind it every this many bytes: the journal's drop-behind
    /// (<see cref="JournalOptions.PageCacheKeepBytes"/>) cannot evict a page any mapping still maps.
    /// </summary>
    internal const long ReleaseStepBytes = 1L << 20;

    internal JournalReader(Journal owner, long fromIndex)
    {
        _owner = owner;
        _state.NextIndex = fromIndex;
    }

    /// <summary>Index the next successful TryRead returns.</summary>
    public long NextIndex => _state.NextIndex;

    /// <summary>
    /// Reads the next record if its index is &lt;= the journal's LastIndex; false otherwise (call again later).
    /// The returned payload is valid until the next call or disposal.
    /// </summary>
    /// <exception cref="JournalCorruptException">The bytes on disk fail validation.</exception>
    public bool TryRead(out JournalRecord record) => TryRead(long.MaxValue, out record);

    /// <summary>As <see cref="TryRead(out JournalRecord)"/>, but never past <paramref name="upToIndex"/> (e.g. a commit index).</summary>
    public bool TryRead(long upToIndex, out JournalRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        record = default;
        long next = _state.NextIndex;
        if (next > upToIndex || next > _owner.LastIndex)
        {
            return false;
        }

        if (_segment is null || AtSegmentEnd())
        {
            if (_segment is not null && SegmentScanner.CheckZeroTail(_segment.Bytes, _offsetBytes, _segment.Path, 0, _state, _segment) is { } fault)
            {
                // A sealed segment holds nothing after its records (an open with LastSegment validation never looked).
                throw fault.ToException();
            }

            OpenSegmentFor(next);
        }

        SegmentFile segment = _segment!;
        ReadOnlySpan<byte> bytes = segment.Bytes;
        string? reason = SegmentScanner.ValidateRecord(bytes, _segmentSizeBytes, _offsetBytes, _state, out JournalRecordHeader h, out ReadOnlySpan<byte> bytesOnDisk);
        if (reason is not null)
        {
            throw new JournalCorruptException(segment.Path, _offsetBytes, next, reason);
        }

        record = new JournalRecord(h, bytesOnDisk.Slice(JournalRecordHeader.SizeBytes, h.PayloadLength), _offsetBytes);
        // Everything before this record is done with (a payload is valid until the next call): release it in steps.
        if (_offsetBytes - _releasedUpToBytes >= ReleaseStepBytes)
        {
            long upTo = _offsetBytes & ~(Environment.SystemPageSize - 1L); // whole pages: the next step starts where this ends
            segment.ReleaseMapped(_releasedUpToBytes, upTo - _releasedUpToBytes);
            _releasedUpToBytes = upTo;
        }
        _offsetBytes += h.TotalLengthBytes;
        _state.NextIndex = next + 1;
        _state.LastChecksum = h.Checksum;
        _state.LastTerm = h.Term;
        _state.LastTimestamp = h.Timestamp;
        _positioned = true;
        return true;
    }

    public void Dispose()
    {
        _disposed = true;
        _segment?.Dispose();
        _segment = null;
    }

    private bool AtSegmentEnd()
    {
        if (_segmentSizeBytes - _offsetBytes < JournalRecordHeader.SizeBytes)
        {
            return true;
        }

        return SegmentScanner.ReadInt32OrZero(_segment!.Bytes, _offsetBytes) == 0;
    }

    private void OpenSegmentFor(long index)
    {
        SegmentEntry? entry = _owner.FindSegment(index);
        if (entry is null)
        {
            throw new InvalidOperationException($"Index {index} is no longer in the journal (first index {_owner.FirstIndex}).");
        }

        if (_segment is not null && string.Equals(entry.Path, _segment.Path, StringComparison.Ordinal))
        {
            throw new JournalCorruptException(_segment.Path, _offsetBytes, index, $"segment ends but record {index} should follow");
        }

        _segment?.Dispose();
        _segment = null;
        SegmentFile segment = SegmentFile.OpenRead(entry.Path);
        try
        {
            ReadOnlySpan<byte> bytes = segment.Bytes;
            if (bytes.Length < SegmentHeader.SizeBytes)
            {
                throw new JournalCorruptException(entry.Path, 0, index, "segment file is shorter than its header");
            }

            SegmentHeader header = SegmentHeader.Read(bytes);
            string? reason = SegmentHeader.Validate(bytes, header, out long fieldOffset);
            if (reason is null && header.FirstIndex != entry.FirstIndex)
            {
                (reason, fieldOffset) = ("segment first index changed under the reader", SegmentHeader.FirstIndexOffset);
            }

            if (reason is null && _positioned && header.FirstIndex == index
                && SegmentScanner.CheckContinuity(header, _state, out long linkOffset) is { } broken)
            {
                // The same link check as a full open's: index, chain seed, previous term and timestamp.
                (reason, fieldOffset) = ("at the segment boundary: " + broken, linkOffset);
            }

            if (reason is not null)
            {
                throw new JournalCorruptException(entry.Path, fieldOffset, index, reason);
            }

            ChainState state = ChainState.FromSegmentHeader(header);
            long offset = SegmentHeader.SizeBytes;
            long records = 0;
            JournalFault? fault = SegmentScanner.WalkRecords(bytes, header.SegmentSizeBytes, entry.Path, 0, isLast: false,
                ref state, ref offset, stopAtIndex: index, ref records);
            if (fault is not null)
            {
                throw fault.ToException();
            }

            if (state.NextIndex != index)
            {
                throw new JournalCorruptException(entry.Path, offset, index, $"record {index} not found in its segment");
            }

            _segment = segment;
            _segmentSizeBytes = header.SegmentSizeBytes;
            _offsetBytes = offset;
            _releasedUpToBytes = 0;
            _state = state;
        }
        catch
        {
            segment.Dispose();
            throw;
        }
    }
}
