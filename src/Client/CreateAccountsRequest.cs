using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>A batch of accounts (items answered <c>PartitionUnavailable</c> are sent again: <see cref="CreateBatchRequest{TItem}"/>).</summary>
internal sealed class CreateAccountsRequest(ReadOnlyMemory<Account> accounts, int timeoutMs)
    : CreateBatchRequest<Account>(RequestKind.CreateAccounts, accounts, FrameCodec.AccountEntryBytes, timeoutMs)
{
    protected override bool IsLinked(in Account item) => (item.Flags & AccountFlags.Linked) != 0;

    protected override int Encode(Span<byte> frame, ulong correlationId, ReadOnlySpan<Account> items) =>
        FrameCodec.CreateAccounts(frame, correlationId, items);
}
