using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Checks on a received SBE message before a decoder is trusted: schema, root block length, group sizes.
/// Generated decoders slice spans (so an overrun throws, never reads foreign memory); these checks turn
/// such cases into precise <see cref="WalletProtocolException"/>s instead.
/// </summary>
internal static class InboundFrame
{
    public static ushort TemplateId(ReadOnlySpan<byte> sbe)
    {
        var header = new MessageHeaderDecoder(sbe, 0);
        if (header.SchemaId != ProtocolSchema.SchemaId)
        {
            throw new WalletProtocolException($"schema id {header.SchemaId}, expected {ProtocolSchema.SchemaId}");
        }
        return header.TemplateId;
    }

    /// <summary>The root block announced must hold at least the fields this client reads.</summary>
    public static void CheckBlock(ReadOnlySpan<byte> sbe, int minBlockLength, string message)
    {
        int announced = new MessageHeaderDecoder(sbe, 0).BlockLength;
        if (announced < minBlockLength)
        {
            throw new WalletProtocolException($"{message}: block length {announced} < {minBlockLength}");
        }
        if (ProtocolSchema.MessageHeaderLength + announced > sbe.Length)
        {
            throw new WalletProtocolException($"{message}: block length {announced} overruns the {sbe.Length}-byte frame");
        }
    }

    /// <summary>A group's entries must be at least the known size, bounded in count and inside the frame.</summary>
    public static void CheckGroup(int count, int actingBlockLength, int minBlockLength, int maxCount, int groupStart, int frameLength, string group)
    {
        if (actingBlockLength < minBlockLength)
        {
            throw new WalletProtocolException($"group {group}: entry length {actingBlockLength} < {minBlockLength}");
        }
        if (count > maxCount)
        {
            throw new WalletProtocolException($"group {group}: {count} entries, at most {maxCount} expected");
        }
        if (groupStart + (long)count * actingBlockLength > frameLength)
        {
            throw new WalletProtocolException($"group {group}: {count} entries of {actingBlockLength} bytes overrun the {frameLength}-byte frame");
        }
    }

    /// <summary>Correlation id: the first root field (uint64) of every answer that carries one.</summary>
    public static ulong CorrelationId(ReadOnlySpan<byte> sbe, string message)
    {
        CheckBlock(sbe, 8, message);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(sbe[ProtocolSchema.MessageHeaderLength..]);
    }
}
