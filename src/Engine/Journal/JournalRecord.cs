namespace Wallet.Engine.Journal;

/// <summary>
/// One record as returned by <see cref="JournalReader.TryRead(out JournalRecord)"/>. <see cref="Payload"/> points into
/// the reader's mapping and is valid only until the reader's next call or disposal.
/// </summary>
public readonly ref struct JournalRecord
{
    internal JournalRecord(scoped in JournalRecordHeader header, ReadOnlySpan<byte> payload, long offsetBytes)
    {
        Type = header.Type;
        Flags = header.Flags;
        Index = header.Index;
        Term = header.Term;
        Timestamp = header.Timestamp;
        Checksum = header.Checksum;
        PrevChecksum = header.PrevChecksum;
        Payload = payload;
        OffsetBytes = offsetBytes;
    }

    public ushort Type { get; }
    public ushort Flags { get; }
    public long Index { get; }
    public long Term { get; }
    public long Timestamp { get; }
    public uint Checksum { get; }
    public uint PrevChecksum { get; }
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Offset of the record header inside its segment file.</summary>
    public long OffsetBytes { get; }
}
