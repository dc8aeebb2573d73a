using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>A SystemTransfers batch for one partition: answered like CreateTransfers, by CreateResults.</summary>
internal sealed class SystemTransfersRequest(ushort partition, ReadOnlyMemory<Transfer> transfers, int timeoutMs)
    : PendingRequest<CreateResult[]>(RequestKind.SystemTransfers, transfers.Length,
        FrameCodec.SystemTransfersFrameBytes(transfers.Length), timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.SystemTransfers(frame, correlationId, partition, transfers.Span);

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        CreateResult[] results = CreateResultsReader.Read(sbe, transfers.Length);
        if (resubmittedExistsAsOk)
        {
            // The first send may have applied before the connection broke: its own Exists is success (step ids make
            // every resend of a step identical, so Exists means "this very step").
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
