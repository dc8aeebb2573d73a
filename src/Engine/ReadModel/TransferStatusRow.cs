using System.Runtime.InteropServices;

namespace Wallet.Engine.ReadModel;

/// <summary>Stored value of an 'S' key (32 bytes): the status of a transfer and what resolved it.</summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
internal struct TransferStatusRow
{
    public const int SizeBytes = 32;

    [FieldOffset(0)] public TransferStatus Status;
    [FieldOffset(8)] public long ResolvedIndex;
    [FieldOffset(16)] public UInt128 ResolvedBy;
}
