using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;

namespace Wallet.Engine.Partition;

/// <summary>
/// Collects the events of one command as <see cref="LedgerEventEntry"/> bytes, ready to become one event-journal
/// record. A struct sink: the state machine is generic over it, so the calls inline. Two targets:
/// <list type="bullet">
/// <item>its own buffer (allocated once, sized for the worst command, reused): <see cref="Written"/> is the record;</item>
/// <item>an area outside the GC heap (<see cref="TargetDirect"/>): the BLP points it at the event journal's mapped
/// reservation for the command, so the entries are written once, straight into the journal, instead of into a
/// 1.8 MB buffer and then copied (8,190 transfers × 224 bytes).</item>
/// </list>
/// Every byte of an entry is written explicitly (no zero-then-fill pass).
/// </summary>
public unsafe struct EventBatchSink : ILedgerEventSink
{
    private readonly byte[] _buffer;
    private byte* _direct; // non-null: entries go to [_direct, _direct + _capacity) instead of _buffer
    private int _capacity;
    private int _length;

    public EventBatchSink(LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _buffer = new byte[MaxBytesFor(options)];
        _capacity = _buffer.Length;
        _direct = null;
        _length = 0;
    }

    /// <summary>Worst-case event bytes of one command: each item yields at most one event, and every hold may expire.</summary>
    public static int MaxBytesFor(LedgerOptions options) =>
        checked((options.MaxBatchSize + options.MaxPendingTransfers) * LedgerEventEntry.SizeBytes);

    /// <summary>
    /// Event bytes one command can produce at most: one event per item, plus one per hold that may expire before
    /// it (at most <paramref name="pendingTransfers"/>, the holds outstanding when it starts). Never above
    /// <see cref="MaxBytesFor"/> for a well-formed command; a malformed one yields expiries only.
    /// </summary>
    public static long BoundBytesFor(int itemCount, int pendingTransfers) =>
        ((long)itemCount + pendingTransfers) * LedgerEventEntry.SizeBytes;

    /// <summary>The events written since the last reset (own-buffer mode only).</summary>
    public readonly ReadOnlySpan<byte> Written => _direct == null
        ? _buffer.AsSpan(0, _length)
        : throw new InvalidOperationException("the sink writes to a direct target; use Length");

    /// <summary>Bytes written since the last reset, in either mode.</summary>
    public readonly int Length => _length;

    public readonly int Count => _length / LedgerEventEntry.SizeBytes;

    /// <summary>Back to the own buffer, empty.</summary>
    public void Reset()
    {
        _direct = null;
        _capacity = _buffer.Length;
        _length = 0;
    }

    /// <summary>
    /// Writes the next command's entries into <paramref name="area"/>, which must not move and must stay valid until
    /// the caller is done with the command (memory-mapped journal space, native memory or a pinned array).
    /// Writing past it throws, as the own buffer does.
    /// </summary>
    public void TargetDirect(Span<byte> area)
    {
        _direct = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(area));
        _capacity = area.Length;
        _length = 0;
    }

    private ref LedgerEventEntry Next(LedgerEventKind kind, long timestamp)
    {
        if (_length + LedgerEventEntry.SizeBytes > _capacity)
            throw new InvalidOperationException("event buffer overflow: more events than the ledger's limits allow (a state machine bug)");
        ref LedgerEventEntry e = ref _direct != null
            ? ref Unsafe.AsRef<LedgerEventEntry>(_direct + _length)
            : ref Unsafe.As<byte, LedgerEventEntry>(ref _buffer[_length]);
        _length += LedgerEventEntry.SizeBytes;
        // Kind and the six reserved bytes after it in one store; the callers write every other field.
        Unsafe.As<LedgerEventEntry, ulong>(ref e) = (ushort)kind;
        e.Timestamp = timestamp;
        return ref e;
    }

    public void OnAccountCreated(in Account account)
    {
        ref LedgerEventEntry e = ref Next(LedgerEventKind.AccountCreated, account.Timestamp);
        e.Account = account;
        e.DebitAfter = AccountBalances.Of(account);
        e.CreditAfter = default;
        e.PendingId = UInt128.Zero;
    }

    public void OnAccountClosed(in Account account)
    {
        // Closing happens at the command's time; the account keeps its creation timestamp.
        ref LedgerEventEntry e = ref Next(LedgerEventKind.AccountClosed, account.Timestamp);
        e.Account = account;
        e.DebitAfter = AccountBalances.Of(account);
        e.CreditAfter = default;
        e.PendingId = UInt128.Zero;
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
