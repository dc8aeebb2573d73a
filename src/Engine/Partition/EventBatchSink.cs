using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Engine.Partition;

/// <summary>
/// Collects the events of one command as <see cref="LedgerEventEntry"/> bytes, ready to become one event-journal
/// record. A struct sink: the state machine is generic over it, so the calls inline. Its buffer is allocated
/// once, sized for the worst command (every pending hold expiring plus a full batch), and reused.
/// </summary>
public struct EventBatchSink : ILedgerEventSink
{
    private readonly byte[] _buffer;
    private int _length;

    public EventBatchSink(LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _buffer = new byte[MaxBytesFor(options)];
        _length = 0;
    }

    /// <summary>Worst-case event bytes of one command: each item yields at most one event, and every hold may expire.</summary>
    public static int MaxBytesFor(LedgerOptions options) =>
        checked((options.MaxBatchSize + options.MaxPendingTransfers) * LedgerEventEntry.SizeBytes);

    public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);
    public readonly int Count => _length / LedgerEventEntry.SizeBytes;

    public void Reset() => _length = 0;

    private ref LedgerEventEntry Next(LedgerEventKind kind, long timestamp)
    {
        if (_length + LedgerEventEntry.SizeBytes > _buffer.Length)
            throw new InvalidOperationException("event buffer overflow: more events than the ledger's limits allow (a state machine bug)");
        ref LedgerEventEntry e = ref MemoryMarshal.AsRef<LedgerEventEntry>(_buffer.AsSpan(_length, LedgerEventEntry.SizeBytes));
        _length += LedgerEventEntry.SizeBytes;
        e = default;
        e.Kind = kind;
        e.Timestamp = timestamp;
        return ref e;
    }

    public void OnAccountCreated(in Account account)
    {
        ref LedgerEventEntry e = ref Next(LedgerEventKind.AccountCreated, account.Timestamp);
        e.Account = account;
        e.DebitAfter = AccountBalances.Of(account);
    }

    public void OnAccountClosed(in Account account)
    {
        // Closing happens at the command's time; the account keeps its creation timestamp.
        ref LedgerEventEntry e = ref Next(LedgerEventKind.AccountClosed, account.Timestamp);
        e.Account = account;
        e.DebitAfter = AccountBalances.Of(account);
    }

    public void OnTransferPosted(in Transfer transfer, in Account debitAfter, in Account creditAfter) =>
        Write(LedgerEventKind.TransferPosted, transfer.Timestamp, transfer, debitAfter, creditAfter, UInt128.Zero);

    public void OnPendingCreated(in Transfer transfer, in Account debitAfter, in Account creditAfter) =>
        Write(LedgerEventKind.PendingCreated, transfer.Timestamp, transfer, debitAfter, creditAfter, UInt128.Zero);

    public void OnPendingPosted(in Transfer post, in Transfer pending, in Account debitAfter, in Account creditAfter) =>
        Write(LedgerEventKind.PendingPosted, post.Timestamp, post, debitAfter, creditAfter, pending.Id);

    public void OnPendingVoided(in Transfer voidTransfer, in Transfer pending, in Account debitAfter, in Account creditAfter) =>
        Write(LedgerEventKind.PendingVoided, voidTransfer.Timestamp, voidTransfer, debitAfter, creditAfter, pending.Id);

    public void OnPendingExpired(in Transfer pending, long expiredAtTimestamp, in Account debitAfter, in Account creditAfter) =>
        Write(LedgerEventKind.PendingExpired, expiredAtTimestamp, pending, debitAfter, creditAfter, pending.Id);

    private void Write(LedgerEventKind kind, long timestamp, in Transfer transfer, in Account debitAfter, in Account creditAfter, UInt128 pendingId)
    {
        ref LedgerEventEntry e = ref Next(kind, timestamp);
        e.Transfer = transfer;
        e.DebitAfter = AccountBalances.Of(debitAfter);
        e.CreditAfter = AccountBalances.Of(creditAfter);
        e.PendingId = pendingId;
    }
}
