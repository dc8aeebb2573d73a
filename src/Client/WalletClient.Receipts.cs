using Wallet.Engine.Ledger;

namespace Wallet.Client;

/// <summary>
/// The batch calls again, each returning a <see cref="Receipt{T}"/>: the same answer plus the log index (and, for
/// commands, the ledger timestamp) the node put in the answer's header — what an auditor needs to find the command in
/// the journal or to ask a balance at that index. Same machinery as the plain calls (correlation, timeout, Busy
/// retries, resubmission after a redirect or a reconnect); the receipt is that of the answer that completed the call.
/// </summary>
public sealed partial class WalletClient
{
    /// <summary><see cref="CreateTransfersAsync"/> with the answering command's log index and ledger timestamp.</summary>
    public Task<Receipt<CreateResult[]>> CreateTransfersWithReceiptAsync(ReadOnlyMemory<Transfer> transfers, CancellationToken ct = default) =>
        WithReceipt(new CreateTransfersRequest(transfers, _options.RequestTimeoutMs), transfers.Length, FrameCodec.TransferEntryBytes, ct);

    /// <summary><see cref="CreateAccountsAsync"/> with the answering command's log index and ledger timestamp.</summary>
    public Task<Receipt<CreateResult[]>> CreateAccountsWithReceiptAsync(ReadOnlyMemory<Account> accounts, CancellationToken ct = default) =>
        WithReceipt(new CreateAccountsRequest(accounts, _options.RequestTimeoutMs), accounts.Length, FrameCodec.AccountEntryBytes, ct);

    /// <summary><see cref="CloseAccountsAsync"/> with the answering command's log index and ledger timestamp.</summary>
    public Task<Receipt<CreateResult[]>> CloseAccountsWithReceiptAsync(ReadOnlyMemory<UInt128> ids, CancellationToken ct = default) =>
        WithReceipt(new CloseAccountsRequest(ids, _options.RequestTimeoutMs), ids.Length, FrameCodec.IdEntryBytes, ct);

    /// <summary><see cref="LookupAccountsAsync"/> with the log index the accounts were read at (timestamp 0: not carried).</summary>
    public Task<Receipt<Account[]>> LookupAccountsWithReceiptAsync(ReadOnlyMemory<UInt128> ids, CancellationToken ct = default) =>
        WithReceipt(new LookupAccountsRequest(ids, _options.RequestTimeoutMs), ids.Length, FrameCodec.IdEntryBytes, ct);

    /// <summary><see cref="LookupTransfersAsync"/> with the log index the transfers were read at (timestamp 0: not carried).</summary>
    public Task<Receipt<Transfer[]>> LookupTransfersWithReceiptAsync(ReadOnlyMemory<UInt128> ids, CancellationToken ct = default) =>
        WithReceipt(new LookupTransfersRequest(ids, _options.RequestTimeoutMs), ids.Length, FrameCodec.IdEntryBytes, ct);

    /// <summary><see cref="PeerLookupTransfersAsync"/> with the log index of the partition's read (peer role only).</summary>
    public Task<Receipt<Transfer[]>> PeerLookupTransfersWithReceiptAsync(int partition, ReadOnlyMemory<UInt128> ids, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partition, ushort.MaxValue - 1);
        return WithReceipt(new LookupTransfersRequest(ids, _options.RequestTimeoutMs, partition), ids.Length, FrameCodec.IdEntryBytes, ct,
            FrameCodec.PeerLookupTransfersRootExtraBytes);
    }

    private Task<Receipt<T>> WithReceipt<T>(PendingRequest<T> request, int count, int entryBytes, CancellationToken ct, int rootExtraBytes = 0)
    {
        // Submitted here, so argument errors (batch size) throw at the call as with the plain methods.
        Task<T> answer = SubmitBatch(request, count, entryBytes, ct, rootExtraBytes);
        return Await(request, answer);

        static async Task<Receipt<T>> Await(PendingRequest<T> request, Task<T> answer)
        {
            T value = await answer.ConfigureAwait(false);
            // Set by Complete before the task completed: the completion publishes them.
            return new Receipt<T>(value, request.AnswerLogIndex, request.AnswerTimestampNs);
        }
    }
}
