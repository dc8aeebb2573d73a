using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Decodes CreateResults into one result per submitted item, in item order. Items the gateway does not
/// mention are <see cref="ResultCode.Ok"/> (so both "every item" and "failures only" answers decode the same);
/// an itemIndex outside the batch is a protocol violation. A whole-command code (MalformedPayload, BatchTooLarge,
/// UnknownCommand) is given to every item, because nothing of the command was applied.
/// </summary>
internal static class CreateResultsReader
{
    public static CreateResult[] Read(ReadOnlySpan<byte> sbe, int itemCount) => Read(sbe, itemCount, out _, out _);

    /// <summary><see cref="Read(ReadOnlySpan{byte}, int)"/> that also returns the answer header's log index and timestamp.</summary>
    public static CreateResult[] Read(ReadOnlySpan<byte> sbe, int itemCount, out long logIndex, out long timestampNs)
    {
        var codes = itemCount <= 256 ? stackalloc ResultCode[itemCount] : new ResultCode[itemCount];
        ReadCodes(sbe, codes, out logIndex, out timestampNs);
        var results = new CreateResult[itemCount];
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = new CreateResult(i, codes[i]);
        }
        return results;
    }

    /// <summary>The same decoding into the caller's span (one code per item), allocating nothing.</summary>
    public static void ReadCodes(ReadOnlySpan<byte> sbe, Span<ResultCode> codes) => ReadCodes(sbe, codes, out _, out _);

    /// <summary><see cref="ReadCodes(ReadOnlySpan{byte}, Span{ResultCode})"/> that also returns the header's log index and timestamp.</summary>
    public static void ReadCodes(ReadOnlySpan<byte> sbe, Span<ResultCode> codes, out long logIndex, out long timestampNs)
    {
        int itemCount = codes.Length;
        codes.Fill(ResultCode.Ok);
        InboundFrame.CheckBlock(sbe, CreateResultsDecoder.BlockLength, "CreateResults");
        if (!CreateResultsDecoder.TryWrapWithHeader(sbe, 0, out CreateResultsDecoder message))
        {
            throw new WalletProtocolException("CreateResults header mismatch");
        }
        logIndex = message.LogIndex;
        timestampNs = message.TimestampNs;
        var group = message.Results();
        InboundFrame.CheckGroup(group.Count, group.ActingBlockLength, CreateResultsDecoder.ResultsDecoder.BlockLength,
            itemCount, message.Limit, sbe.Length, "results");
        while (group.MoveNext())
        {
            uint index = group.ItemIndex;
            if (index >= (uint)itemCount)
            {
                throw new WalletProtocolException($"CreateResults itemIndex {index} outside a batch of {itemCount}");
            }
            var code = (ResultCode)group.Code;
            if (IsWholeCommand(code))
            {
                // The command was refused as a whole and nothing was applied: no item may read as Ok.
                codes.Fill(code);
                return;
            }
            codes[(int)index] = code;
        }
    }

    /// <summary>Codes answered once, at index 0, for a malformed command (docs/PROTOCOL.md).</summary>
    public static bool IsWholeCommand(ResultCode code) =>
        code is ResultCode.MalformedPayload or ResultCode.BatchTooLarge or ResultCode.UnknownCommand;

    /// <summary>
    /// After a resubmission, <c>Exists</c> proves the first send was applied (failed items are never stored),
    /// so the caller sees the original <c>Ok</c>. Linked items are left alone: a chain's codes describe the chain.
    /// </summary>
    public static ResultCode MapResubmitted(ResultCode code, bool linked, ResultCode existsCode) =>
        !linked && code == existsCode ? ResultCode.Ok : code;
}
