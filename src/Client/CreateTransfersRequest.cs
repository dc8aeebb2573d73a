using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

internal sealed class CreateTransfersRequest(ReadOnlyMemory<Transfer> transfers, int timeoutMs)
    : PendingRequest<CreateResult[]>(RequestKind.CreateTransfers, transfers.Length,
        FrameCodec.BatchFrameBytes(transfers.Length, FrameCodec.TransferEntryBytes), timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.CreateTransfers(frame, correlationId, transfers.Span);

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        CreateResult[] results = CreateResultsReader.Read(sbe, transfers.Length, out long logIndex, out long timestampNs);
        AnswerLogIndex = logIndex;
        AnswerTimestampNs = timestampNs;
        if (resubmittedExistsAsOk)
        {
            ReadOnlySpan<Transfer> items = transfers.Span;
            for (int i = 0; i < results.Length; i++)
            {
                bool linked = (items[i].Flags & TransferFlags.Linked) != 0;
                results[i] = new CreateResult(i, CreateResultsReader.MapResubmitted(results[i].Code, linked, ResultCode.Exists));
            }
        }
        Succeed(results);
    }
}
