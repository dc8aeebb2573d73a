using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Client;

/// <summary>Answer: the accounts found, in request order; ids not found are simply absent.</summary>
internal sealed class LookupAccountsRequest(ReadOnlyMemory<UInt128> ids, int timeoutMs)
    : PendingRequest<Account[]>(RequestKind.LookupAccounts, ids.Length,
        FrameCodec.BatchFrameBytes(ids.Length, FrameCodec.IdEntryBytes), timeoutMs)
{
    public override int Encode(Span<byte> frame, ulong correlationId) =>
        FrameCodec.Ids(frame, RequestKind.LookupAccounts, correlationId, ids.Span);

    public override void Complete(ushort templateId, ReadOnlySpan<byte> sbe, bool resubmittedExistsAsOk)
    {
        if (templateId != AccountsFoundDecoder.TemplateId)
        {
            throw Unexpected(templateId, Kind);
        }
        InboundFrame.CheckBlock(sbe, AccountsFoundDecoder.BlockLength, "AccountsFound");
        if (!AccountsFoundDecoder.TryWrapWithHeader(sbe, 0, out AccountsFoundDecoder message))
        {
            throw new WalletProtocolException("AccountsFound header mismatch");
        }
        AnswerLogIndex = message.LogIndex;
        var group = message.Accounts();
        InboundFrame.CheckGroup(group.Count, group.ActingBlockLength, AccountsFoundDecoder.AccountsDecoder.BlockLength,
            ids.Length, message.Limit, sbe.Length, "accounts");
        var found = new Account[group.Count];
        int n = 0;
        int cursor = 0;
        ReadOnlySpan<UInt128> asked = ids.Span;
        while (group.MoveNext())
        {
            ref Account a = ref found[n++];
            a.Id = Id128.Get(group.Id);
            cursor = FoundIds.Match(asked, cursor, a.Id, "AccountsFound");
            a.UserData128 = Id128.Get(group.UserData128);
            a.DebitsPending = group.DebitsPending;
            a.DebitsPosted = group.DebitsPosted;
            a.CreditsPending = group.CreditsPending;
            a.CreditsPosted = group.CreditsPosted;
            a.UserData64 = group.UserData64;
            a.Timestamp = group.TimestampNs;
            a.UserData32 = group.UserData32;
            a.Ledger = group.Ledger;
            a.Code = group.Code;
            a.Flags = (AccountFlags)group.Flags;
        }
        Succeed(found);
    }
}
