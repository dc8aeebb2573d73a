using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

internal sealed class CreateAccountsRequest(ReadOnlyMemory<Account> accounts, int timeoutMs)
    : PendingRequest<CreateResult[]>(RequestKind.CreateAccounts, accounts.Length,
        FrameCodec.BatchFrameBytes(accounts.Length, FrameCodec.AccountEntryBytes), timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.CreateAccounts(frame, correlationId, accounts.Span);

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        CreateResult[] results = CreateResultsReader.Read(sbe, accounts.Length, out long logIndex, out long timestampNs);
        AnswerLogIndex = logIndex;
        AnswerTimestampNs = timestampNs;
        if (resubmittedExistsAsOk)
        {
            ReadOnlySpan<Account> items = accounts.Span;
            for (int i = 0; i < results.Length; i++)
            {
                bool linked = (items[i].Flags & AccountFlags.Linked) != 0;
                results[i] = new CreateResult(i, CreateResultsReader.MapResubmitted(results[i].Code, linked, ResultCode.Exists));
            }
        }
        Succeed(results);
    }
}
