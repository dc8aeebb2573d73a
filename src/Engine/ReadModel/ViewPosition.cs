using System.Runtime.InteropServices;

namespace Wallet.Engine.ReadModel;

/// <summary>
/// How far the read model has applied the event journal: the checkpoint, written in the same RocksDB write batch
/// as the rows it covers, so a restart resumes exactly after it (40 bytes, little-endian).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public readonly struct ViewPosition
{
    public const int SizeBytes = 40;

    public ViewPosition(long index, long timestampNs, uint checksum, long eventsApplied)
    {
        Index = index;
        TimestampNs = timestampNs;
        Checksum = checksum;
        EventsApplied = eventsApplied;
    }

    /// <summary>Last event-journal record (= log index) applied; 0 for an empty view.</summary>
    [FieldOffset(0)] public readonly long Index;
    /// <summary>Command timestamp of that record (ns since the Unix epoch).</summary>
    [FieldOffset(8)] public readonly long TimestampNs;
    /// <summary>Journal checksum of that record: on resume, the record at <see cref="Index"/> must still carry it.</summary>
    [FieldOffset(16)] public readonly uint Checksum;
    /// <summary>Event entries applied since the view was built.</summary>
    [FieldOffset(24)] public readonly long EventsApplied;

    public static ViewPosition Empty => default;

    public override string ToString() => $"index {Index} (t={TimestampNs} ns, {EventsApplied} events)";
}
