using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Saga;

/// <summary>
/// One row of the saga table (also the snapshot record, 208 bytes, explicit layout):
/// 0 Transfer (the client's), 128 SagaId, 136 CorrelationId, 144 BeganAt, 152 DeadlineAt, 160 PhaseStartedAt,
/// 168 CompletedAt, 176 Outcome, 180 SourcePartition, 182 DestPartition, 184 Mode, 185 Status, 186 Outstanding
/// (bit per <see cref="SagaStep"/> awaiting an answer), 187 Flags (bit 0: the client was answered at the commit point), 188 Prev, 192 Next (table links, not in snapshots),
/// 196..207 reserved.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public struct SagaRecord
{
    public const int SizeBytes = 208;

    [FieldOffset(0)] public Transfer Transfer;
    [FieldOffset(128)] public ulong SagaId;
    [FieldOffset(136)] public long CorrelationId;
    [FieldOffset(144)] public long BeganAt;
    [FieldOffset(152)] public long DeadlineAt;
    [FieldOffset(160)] public long PhaseStartedAt;
    [FieldOffset(168)] public long CompletedAt;
    [FieldOffset(176)] public ResultCode Outcome;
    [FieldOffset(180)] public ushort SourcePartition;
    [FieldOffset(182)] public ushort DestPartition;
    [FieldOffset(184)] public SagaMode Mode;
    [FieldOffset(185)] public SagaStatus Status;
    [FieldOffset(186)] public byte Outstanding;
    [FieldOffset(187)] internal byte Flags;
    [FieldOffset(188)] internal int Prev;
    [FieldOffset(192)] internal int Next;
    [FieldOffset(196)] internal int Reserved1;
    [FieldOffset(200)] internal long Reserved2;

    /// <summary><see cref="Flags"/> bit: the client already has its answer (Ok) although the finishing step is in flight.</summary>
    internal const byte FlagAnswered = 1;

    /// <summary>
    /// The client was answered when the outcome became certain (Saga mode: the destination credited, the source's post
    /// cannot fail), before the saga ended; <see cref="SagaStateMachine"/> does not answer it again when it ends.
    /// </summary>
    public readonly bool Answered => (Flags & FlagAnswered) != 0;

    public readonly bool IsTerminal => Status is SagaStatus.Committed or SagaStatus.Failed;

    public readonly bool IsOutstanding(SagaStep step) => (Outstanding & (1 << (int)step)) != 0;
}
