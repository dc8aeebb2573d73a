using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>UInt128 ↔ the schema's Id128 composite (low 64 bits first).</summary>
internal static class Id128
{
    public static void Put(Id128Encoder encoder, UInt128 value)
    {
        encoder.Low = (ulong)value;
        encoder.High = (ulong)(value >> 64);
    }

    public static UInt128 Get(Id128Decoder decoder) => new(decoder.High, decoder.Low);
}
