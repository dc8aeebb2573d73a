using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>A SystemCreateAccounts batch for one partition: answered like CreateAccounts, by CreateResults.</summary>
internal sealed class SystemCreateAccountsRequest(ushort partition, ReadOnlyMemory<Account> accounts, int timeoutMs)
    : PendingRequest<CreateResult[]>(RequestKind.SystemCreateAccounts, accounts.Length,
        FrameCodec.SystemCreateAccountsFrameBytes(accounts.Length), timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.SystemCreateAccounts(frame, correlationId, partition, accounts.Span);

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != CreateResultsDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        Succeed(CreateResultsReader.Read(sbe, accounts.Length));
    }
}
