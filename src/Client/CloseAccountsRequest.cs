using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

internal sealed class CloseAccountsRequest(ReadOnlyMemory<UInt128> ids, int timeoutMs)
    : PendingRequest<CreateResult[]>(RequestKind.CloseAccounts, ids.Length,
        FrameCodec.BatchFrameBytes(ids.Length, FrameCodec.IdEntryBytes), timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.Ids(frame, RequestKind.CloseAccounts, correlationId, ids.Span);

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        CreateResult[] results = CreateResultsReader.Read(sbe, ids.Length, out long logIndex, out long timestampNs);
        AnswerLogIndex = logIndex;
        AnswerTimestampNs = timestampNs;
        if (resubmittedExistsAsOk)
        {
            // A close that was applied before the connection dropped comes back AccountAlreadyClosed.
            for (int i = 0; i < results.Length; i++)
            {
                results[i] = new CreateResult(i, CreateResultsReader.MapResubmitted(results[i].Code, false, ResultCode.AccountAlreadyClosed));
            }
        }
        Succeed(results);
    }
}
