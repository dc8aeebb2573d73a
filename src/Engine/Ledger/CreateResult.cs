using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>Per-item outcome, 8 bytes: offset 0 Index (item index in the batch), offset 4 Code.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public readonly struct CreateResult : IEquatable<CreateResult>
{
    [FieldOffset(0)] public readonly int Index;
    [FieldOffset(4)] public readonly ResultCode Code;

    public CreateResult(int index, ResultCode code)
    {
        Index = index;
        Code = code;
    }

    public bool Equals(CreateResult other) => Index == other.Index && Code == other.Code;
    public override bool Equals(object? obj) => obj is CreateResult other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Index, Code);
    public static bool operator ==(CreateResult left, CreateResult right) => left.Equals(right);
    public static bool operator !=(CreateResult left, CreateResult right) => !left.Equals(right);
    public override string ToString() => $"{Index}:{Code}";
}
