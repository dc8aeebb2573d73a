using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Protocol.Sbe;

namespace Wallet.Gateway.Routing;

/// <summary>
/// Turns a validated SystemTransfers message (a peer's saga sequencer sending step transfers) into the ledger's
/// <see cref="Transfer"/> structs for <see cref="CommandKind.SystemTransfers"/>, field for field as CreateTransfers.
/// <para>
/// The partition is named by the request, not derived from the items: the sequencer's post and void steps
/// (SourcePost, DestPost, SourceCancel, DestCancel) carry only a pending id — a step id, which no partition map places
/// — and no account. Every account an item does name must still live on that partition (the hold and credit steps
/// name a customer account and the partition's own clearing account, which <c>ClearingAccounts</c> picks by the same
/// <see cref="Engine.Partition.PartitionMap"/>), so a request whose items span partitions is refused whole.
/// </para>
/// </summary>
internal static class SystemTransfersTranslator
{
    public static SystemTransfersCheck Translate(ReadOnlySpan<byte> message, byte[] scratch, IRequestRouter router, out int partition, out int payloadBytes)
    {
        SystemTransfersDecoder.TryWrapWithHeader(message, 0, out SystemTransfersDecoder decoder);
        partition = decoder.Partition;
        payloadBytes = 0;
        if (partition >= router.PartitionCount) return SystemTransfersCheck.PartitionOutOfRange;
        Span<Transfer> transfers = MemoryMarshal.Cast<byte, Transfer>(scratch.AsSpan());
        int n = 0;
        var group = decoder.Transfers();
        while (group.MoveNext())
        {
            var transfer = new Transfer
            {
                Id = Id(group.Id),
                DebitAccountId = Id(group.DebitAccountId),
                CreditAccountId = Id(group.CreditAccountId),
                Amount = group.Amount,
                PendingId = Id(group.PendingId),
                UserData128 = Id(group.UserData128),
                UserData64 = group.UserData64,
                UserData32 = group.UserData32,
                TimeoutSeconds = group.TimeoutSeconds,
                Ledger = group.Ledger,
                Code = group.Code,
                Flags = (TransferFlags)group.Flags,
            };
            // A zero id names no account (a post/void step); the ledger judges whether the item needs one.
            if (!OnPartition(router, partition, transfer.DebitAccountId) || !OnPartition(router, partition, transfer.CreditAccountId))
                return SystemTransfersCheck.ForeignAccount;
            transfers[n++] = transfer;
        }
        payloadBytes = n * Transfer.SizeBytes;
        return SystemTransfersCheck.Ok;
    }

    /// <summary>SystemCreateAccounts: every account id must live on the named partition (a zero id is the ledger's to refuse).</summary>
    public static SystemTransfersCheck TranslateAccounts(ReadOnlySpan<byte> message, byte[] scratch, IRequestRouter router, out int partition, out int payloadBytes)
    {
        SystemCreateAccountsDecoder.TryWrapWithHeader(message, 0, out SystemCreateAccountsDecoder decoder);
        partition = decoder.Partition;
        payloadBytes = 0;
        if (partition >= router.PartitionCount) return SystemTransfersCheck.PartitionOutOfRange;
        Span<Account> accounts = MemoryMarshal.Cast<byte, Account>(scratch.AsSpan());
        int n = 0;
        var group = decoder.Accounts();
        while (group.MoveNext())
        {
            var account = new Account
            {
                Id = Id(group.Id),
                UserData128 = Id(group.UserData128),
                UserData64 = group.UserData64,
                UserData32 = group.UserData32,
                Ledger = group.Ledger,
                Code = group.Code,
                Flags = (AccountFlags)group.Flags,
            };
            if (!OnPartition(router, partition, account.Id)) return SystemTransfersCheck.ForeignAccount;
            accounts[n++] = account;
        }
        payloadBytes = n * Account.SizeBytes;
        return SystemTransfersCheck.Ok;
    }

    private static bool OnPartition(IRequestRouter router, int partition, UInt128 accountId) =>
        accountId == UInt128.Zero || router.PartitionOf(accountId) == partition;

    private static UInt128 Id(Id128Decoder id) => new(id.High, id.Low);
}
