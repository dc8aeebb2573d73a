using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// Snapshot and digest. Image: header (magic, version, last index, last timestamp, command count, next saga id,
/// anomalies, active count, completed count), the open sagas in saga-id order, the ended ones oldest first (each a
/// <see cref="SagaRecord"/> with its table links zeroed), then an XxHash64 of everything before it.
/// The image does not depend on row positions, so equal histories give equal bytes and digests.
/// </summary>
public sealed partial class SagaStateMachine
{
    private const uint Magic = 0x41474153; // "SAGA"
    // 2: SagaRecord byte 187 carries Flags (Answered). Version 1 images (that byte always 0) still load.
    private const uint Version = 2;
    private const int HeaderBytes = 4 + 4 + 8 * 5 + 4 + 4;

    /// <summary>XxHash128 of the snapshot image (without its trailer).</summary>
    public UInt128 ComputeDigest()
    {
        var hash = new XxHash128();
        Write(hash.Append);
        return hash.GetCurrentHashAsUInt128();
    }

    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var check = new XxHash64();
        Write(bytes =>
        {
            check.Append(bytes);
            destination.Write(bytes);
        });
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, check.GetCurrentHashAsUInt64());
        destination.Write(trailer);
    }

    private delegate void ByteWriter(ReadOnlySpan<byte> bytes);

    private void Write(ByteWriter write)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[8..], LastIndex);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], LastTimestamp);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], CommandCount);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], NextSagaId);
        BinaryPrimitives.WriteInt64LittleEndian(header[40..], Anomalies);
        BinaryPrimitives.WriteInt32LittleEndian(header[48..], ActiveCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[52..], _completedCount);
        write(header);
        for (var s = _head; s >= 0; s = _rows[s].Next) WriteRow(write, s);
        for (var i = 0; i < _completedCount; i++) WriteRow(write, _completed[(_completedStart + i) % _completed.Length]);
    }

    private void WriteRow(ByteWriter write, int slot)
    {
        var copy = _rows[slot];
        copy.Prev = copy.Next = 0;
        write(MemoryMarshal.AsBytes(new ReadOnlySpan<SagaRecord>(in copy)));
    }

    /// <summary>Rebuilds a machine from <see cref="WriteTo"/> bytes; <see cref="InvalidDataException"/> on anything malformed.</summary>
    public static SagaStateMachine Restore(SagaOptions options, Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var machine = new SagaStateMachine(options);
        var check = new XxHash64();
        Span<byte> header = stackalloc byte[HeaderBytes];
        ReadExactly(source, header, check);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic || version is < 1 or > Version)
            throw new InvalidDataException("Saga state: bad magic or version.");
        machine.LastIndex = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        machine.LastTimestamp = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        machine.CommandCount = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        machine.NextSagaId = BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
        machine.Anomalies = BinaryPrimitives.ReadInt64LittleEndian(header[40..]);
        var active = BinaryPrimitives.ReadInt32LittleEndian(header[48..]);
        var completed = BinaryPrimitives.ReadInt32LittleEndian(header[52..]);
        if (machine.LastIndex < 0 || machine.LastTimestamp < 0 || machine.CommandCount < 0 || machine.NextSagaId < 1 || machine.Anomalies < 0)
            throw new InvalidDataException("Saga state: invalid header field.");
        if (active < 0 || active > options.MaxActiveSagas || completed < 0 || completed > options.RetainedCompletedSagas)
            throw new InvalidDataException("Saga state: table counts out of range.");

        var row = new byte[SagaRecord.SizeBytes];
        ulong previousActiveId = 0;
        for (var i = 0; i < active + completed; i++)
        {
            ReadExactly(source, row, check);
            var r = MemoryMarshal.Read<SagaRecord>(row);
            var isActive = i < active;
            machine.ValidateRow(in r, isActive);
            if (isActive)
            {
                if (r.SagaId <= previousActiveId) throw new InvalidDataException("Saga state: open sagas out of order.");
                previousActiveId = r.SagaId;
            }

            var slot = machine._free[--machine._freeCount];
            machine._rows[slot] = r;
            machine._bySaga.Add(r.SagaId, slot);
            machine._byTransfer.Add(r.Transfer.Id, slot);
            if (isActive)
            {
                machine.LinkActive(slot);
                machine.ActiveCount++;
            }
            else
            {
                machine._completed[machine._completedCount++] = slot;
            }
        }

        Span<byte> trailer = stackalloc byte[8];
        source.ReadExactly(trailer);
        if (BinaryPrimitives.ReadUInt64LittleEndian(trailer) != check.GetCurrentHashAsUInt64()) throw new InvalidDataException("Saga state: checksum mismatch.");
        return machine;
    }

    private static void ReadExactly(Stream source, Span<byte> buffer, XxHash64 check)
    {
        try
        {
            source.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Saga state: truncated.", e);
        }

        check.Append(buffer);
    }

    private void ValidateRow(in SagaRecord r, bool isActive)
    {
        var n = _options.Map.PartitionCount;
        if (r.SagaId == 0 || r.SagaId >= NextSagaId) throw new InvalidDataException("Saga state: saga id out of range.");
        if (r.Mode is < SagaMode.Saga or > SagaMode.TwoPhaseCommit) throw new InvalidDataException($"Saga state: saga {r.SagaId} has an unknown mode.");
        if (r.Status is < SagaStatus.SourceHolding or > SagaStatus.Failed || r.IsTerminal == isActive)
            throw new InvalidDataException($"Saga state: saga {r.SagaId} has an invalid status.");
        if (r.SourcePartition >= n || r.DestPartition >= n || r.SourcePartition == r.DestPartition)
            throw new InvalidDataException($"Saga state: saga {r.SagaId} has invalid partitions.");
        if ((r.Outstanding & ~StepMask) != 0 || (r.IsTerminal && r.Outstanding != 0))
            throw new InvalidDataException($"Saga state: saga {r.SagaId} has invalid outstanding steps.");
        if ((r.Flags & ~SagaRecord.FlagAnswered) != 0 || r.Reserved1 != 0 || r.Reserved2 != 0 || r.Prev != 0 || r.Next != 0)
            throw new InvalidDataException($"Saga state: saga {r.SagaId} has reserved bytes set.");
        if (r.Answered && (r.Mode != SagaMode.Saga || r.Status is not (SagaStatus.SourcePosting or SagaStatus.Committed or SagaStatus.Failed)))
            throw new InvalidDataException($"Saga state: saga {r.SagaId} is marked answered before its commit point.");
        if (r.BeganAt > LastTimestamp || r.PhaseStartedAt > LastTimestamp || r.CompletedAt > LastTimestamp)
            throw new InvalidDataException($"Saga state: saga {r.SagaId} is from the future.");
        if (r.Transfer.Id == UInt128.Zero || r.Transfer.Id == UInt128.MaxValue)
            throw new InvalidDataException($"Saga state: saga {r.SagaId} has a reserved transfer id.");
        if (_bySaga.TryGet(r.SagaId, out _) || _byTransfer.TryGet(r.Transfer.Id, out _))
            throw new InvalidDataException($"Saga state: saga {r.SagaId} is listed twice.");
        if (!_options.Catalog.Contains(r.Transfer.Ledger) || r.Transfer.Amount <= 0)
            throw new InvalidDataException($"Saga state: saga {r.SagaId} has an invalid transfer.");
    }
}
