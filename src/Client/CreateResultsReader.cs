using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>
/// Decodes CreateResults into one result per submitted item, in item order. Items the gateway does not
/// mention are <see cref="ResultCode.Ok"/> (so both "every item" and "failures only" answers decode the same);
/// an itemIndex outside the batch is a protocol violation.
/// </summary>
internal static class CreateResultsReader
{
    public static CreateResult[] Read(ReadOnlySpan<byte> sbe, int itemCount)
    {
        var results = new CreateResult[itemCount];
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = new CreateResult(i, ResultCode.Ok);
        }
        InboundFrame.CheckBlock(sbe, CreateResultsDecoder.BlockLength, "CreateResults");
        if (!CreateResultsDecoder.TryWrapWithHeader(sbe, 0, out CreateResultsDecoder message))
        {
            throw new WalletProtocolException("CreateResults header mismatch");
        }
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
            results[index] = new CreateResult((int)index, (ResultCode)group.Code);
        }
        return results;
    }

    /// <summary>
    /// After a resubmission, <c>Exists</c> proves the first send was applied (failed items are never stored),
    /// so the caller sees the original <c>Ok</c>. Linked items are left alone: a chain's codes describe the chain.
    /// </summary>
    public static ResultCode MapResubmitted(ResultCode code, bool linked, ResultCode existsCode) =>
        !linked && code == existsCode ? ResultCode.Ok : code;
}
