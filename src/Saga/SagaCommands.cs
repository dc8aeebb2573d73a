using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>Encoders for the saga journal's payloads (little-endian; layouts on <see cref="SagaCommandKind"/>).</summary>
public static class SagaCommands
{
    public const int BeginSizeBytes = 144;
    public const int OutcomeSizeBytes = 16;

    public static int ItemSizeOf(SagaCommandKind kind) => kind switch
    {
        SagaCommandKind.Begin => BeginSizeBytes,
        SagaCommandKind.StepOutcome => OutcomeSizeBytes,
        SagaCommandKind.Tick => 0,
        _ => -1,
    };

    public static void WriteBegin(Span<byte> destination, in Transfer transfer, long correlationId, SagaMode mode)
    {
        var item = destination[..BeginSizeBytes];
        MemoryMarshal.Write(item, in transfer);
        BinaryPrimitives.WriteInt64LittleEndian(item[128..], correlationId);
        item[136] = (byte)mode;
        item[137..].Clear();
    }

    public static void WriteOutcome(Span<byte> destination, ulong sagaId, SagaStep step, ResultCode code)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, sagaId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)step);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], (uint)code);
    }

    /// <summary>Splits a step transfer id into (saga id, step); false if it is not a step id.</summary>
    public static bool TryParseStepId(UInt128 id, out ulong sagaId, out SagaStep step)
    {
        var high = (ulong)(id >> 64);
        sagaId = (ulong)id;
        var s = high - SystemIds.StepHighBase;
        if (high < SystemIds.StepHighBase || s is < (ulong)SagaStep.SourceHold or > (ulong)SagaStep.DestCancel || sagaId == 0)
        {
            step = 0;
            return false;
        }

        step = (SagaStep)s;
        return true;
    }
}
