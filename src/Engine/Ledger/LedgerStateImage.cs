using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// A point-in-time copy of a <see cref="LedgerStateMachine"/>'s state, in canonical order, detached from
/// the live machine. <see cref="LedgerStateMachine.CaptureImage()"/> runs on the BLP thread (a memcpy of
/// the account array plus a gather of live transfers: ~128 B × accounts + 144 B × stored transfers, e.g.
/// 1M accounts ≈ 128 MB ≈ tens of ms); <see cref="WriteTo"/> can then run on any thread.
/// <para>
/// Byte format (little-endian, no padding; the lead's snapshot file adds framing and checksums):
/// header 64 B = magic u32 "LGS1", version u32, LastIndex i64, LastTerm i64, LastTimestamp i64,
/// CommandCount i64, accountCount i32, windowCount i32, evictedCount i32, reserved i32 (zero),
/// ForgottenSagaHighWater u64 (0 = none; was a zero reserved field, so older images read as 0);
/// then accountCount × 128 B <see cref="Account"/> in creation order; then windowCount × 144 B stored
/// transfers in creation order (the idempotency window) followed by evictedCount × 144 B still-pending
/// transfers that left the window, by timestamp; then trailer u32 "LGSE", u32 0.
/// </para>
/// </summary>
public sealed class LedgerStateImage
{
    internal const uint HeaderMagic = 0x3153474C; // "LGS1"
    internal const uint TrailerMagic = 0x4553474C; // "LGSE"
    internal const uint FormatVersion = 1;
    internal const int HeaderBytes = 64;

    internal LedgerStateImage(long lastIndex, long lastTerm, long lastTimestamp, long commandCount,
        Account[] accounts, StoredTransfer[] transfers, int windowCount, ulong forgottenSagaHighWater = 0)
        : this(lastIndex, lastTerm, lastTimestamp, commandCount, accounts, accounts.Length, transfers, transfers.Length, windowCount, forgottenSagaHighWater)
    {
    }

    /// <summary>An image over the first <paramref name="accountCount"/> / <paramref name="transferCount"/> items of buffers that may be larger (reused).</summary>
    internal LedgerStateImage(long lastIndex, long lastTerm, long lastTimestamp, long commandCount,
        Account[] accounts, int accountCount, StoredTransfer[] transfers, int transferCount, int windowCount, ulong forgottenSagaHighWater = 0)
    {
        if ((uint)accountCount > (uint)accounts.Length || (uint)transferCount > (uint)transfers.Length || (uint)windowCount > (uint)transferCount)
            throw new ArgumentException("image counts exceed their buffers");
        LastIndex = lastIndex;
        LastTerm = lastTerm;
        LastTimestamp = lastTimestamp;
        CommandCount = commandCount;
        AccountBuffer = accounts;
        TransferBuffer = transfers;
        AccountCount = accountCount;
        TransferCount = transferCount;
        WindowCount = windowCount;
        ForgottenSagaHighWater = forgottenSagaHighWater;
    }

    public long LastIndex { get; }
    /// <summary>See <see cref="LedgerStateMachine.ForgottenSagaHighWater"/>.</summary>
    public ulong ForgottenSagaHighWater { get; }
    public long LastTerm { get; }
    public long LastTimestamp { get; }
    public long CommandCount { get; }
    /// <summary>The buffers behind the image (possibly longer than its counts: a later capture may reuse them).</summary>
    internal Account[] AccountBuffer { get; }
    internal StoredTransfer[] TransferBuffer { get; }
    internal ReadOnlySpan<Account> Accounts => AccountBuffer.AsSpan(0, AccountCount);
    internal ReadOnlySpan<StoredTransfer> Transfers => TransferBuffer.AsSpan(0, TransferCount);
    internal int WindowCount { get; }

    public int AccountCount { get; }
    public int TransferCount { get; }

    /// <summary>Exact number of bytes <see cref="WriteTo"/> produces.</summary>
    public long SizeBytes => HeaderBytes + ((long)AccountCount * Account.SizeBytes) + ((long)TransferCount * StoredTransfer.SizeBytes) + 8;

    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var sink = new StreamByteSink(destination);
        Serialize(ref sink);
    }

    /// <summary>XxHash128 of the <see cref="WriteTo"/> bytes; equals <see cref="LedgerStateMachine.ComputeDigest"/> at capture.</summary>
    public UInt128 ComputeDigest()
    {
        var sink = new HashByteSink(new XxHash128());
        Serialize(ref sink);
        return sink.Hash.GetCurrentHashAsUInt128();
    }

    private void Serialize<TSink>(ref TSink sink) where TSink : struct, IByteSink
    {
        WriteHeader(ref sink, LastIndex, LastTerm, LastTimestamp, CommandCount, AccountCount, WindowCount, TransferCount - WindowCount, ForgottenSagaHighWater);
        sink.Append(MemoryMarshal.AsBytes(Accounts));
        sink.Append(MemoryMarshal.AsBytes(Transfers));
        WriteTrailer(ref sink);
    }

    internal static void WriteHeader<TSink>(ref TSink sink, long lastIndex, long lastTerm, long lastTimestamp, long commandCount,
        int accountCount, int windowCount, int evictedCount, ulong forgottenSagaHighWater) where TSink : struct, IByteSink
    {
        Span<byte> h = stackalloc byte[HeaderBytes];
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, HeaderMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(h[8..], lastIndex);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], lastTerm);
        BinaryPrimitives.WriteInt64LittleEndian(h[24..], lastTimestamp);
        BinaryPrimitives.WriteInt64LittleEndian(h[32..], commandCount);
        BinaryPrimitives.WriteInt32LittleEndian(h[40..], accountCount);
        BinaryPrimitives.WriteInt32LittleEndian(h[44..], windowCount);
        BinaryPrimitives.WriteInt32LittleEndian(h[48..], evictedCount);
        BinaryPrimitives.WriteUInt64LittleEndian(h[56..], forgottenSagaHighWater);
        sink.Append(h);
    }

    internal static void WriteTrailer<TSink>(ref TSink sink) where TSink : struct, IByteSink
    {
        Span<byte> t = stackalloc byte[8];
        t.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(t, TrailerMagic);
        sink.Append(t);
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote; structural checks only (the machine validates content).</summary>
    internal static LedgerStateImage ReadFrom(Stream source, LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            Span<byte> h = stackalloc byte[HeaderBytes];
            source.ReadExactly(h);
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != HeaderMagic) throw new InvalidDataException("Ledger state: bad header magic.");
            var version = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
            if (version != FormatVersion) throw new InvalidDataException($"Ledger state: unsupported version {version}.");
            var lastIndex = BinaryPrimitives.ReadInt64LittleEndian(h[8..]);
            var lastTerm = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
            var lastTimestamp = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
            var commandCount = BinaryPrimitives.ReadInt64LittleEndian(h[32..]);
            var accountCount = BinaryPrimitives.ReadInt32LittleEndian(h[40..]);
            var windowCount = BinaryPrimitives.ReadInt32LittleEndian(h[44..]);
            var evictedCount = BinaryPrimitives.ReadInt32LittleEndian(h[48..]);
            if (BinaryPrimitives.ReadInt32LittleEndian(h[52..]) != 0) throw new InvalidDataException("Ledger state: reserved header bytes not zero.");
            var forgottenSagaHighWater = BinaryPrimitives.ReadUInt64LittleEndian(h[56..]);
            if (lastIndex < 0 || lastTimestamp < 0 || commandCount < 0) throw new InvalidDataException("Ledger state: negative header field.");
            if ((uint)accountCount > (uint)options.MaxAccounts) throw new InvalidDataException($"Ledger state: {accountCount} accounts exceed capacity {options.MaxAccounts}.");
            if ((uint)windowCount > (uint)(options.TransferRetentionCount + options.MaxBatchSize)) throw new InvalidDataException($"Ledger state: window of {windowCount} transfers exceeds capacity.");
            if ((uint)evictedCount > (uint)options.MaxPendingTransfers) throw new InvalidDataException($"Ledger state: {evictedCount} evicted holds exceed capacity.");

            var accounts = new Account[accountCount];
            source.ReadExactly(MemoryMarshal.AsBytes(accounts.AsSpan()));
            var transfers = new StoredTransfer[windowCount + evictedCount];
            source.ReadExactly(MemoryMarshal.AsBytes(transfers.AsSpan()));
            Span<byte> t = stackalloc byte[8];
            source.ReadExactly(t);
            if (BinaryPrimitives.ReadUInt32LittleEndian(t) != TrailerMagic || BinaryPrimitives.ReadUInt32LittleEndian(t[4..]) != 0)
                throw new InvalidDataException("Ledger state: bad trailer.");
            return new LedgerStateImage(lastIndex, lastTerm, lastTimestamp, commandCount, accounts, transfers, windowCount, forgottenSagaHighWater);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Ledger state: truncated.", e);
        }
    }
}

/// <summary>Destination of canonical state bytes (stream or hash), a struct so serialization specialises.</summary>
internal interface IByteSink
{
    void Append(ReadOnlySpan<byte> bytes);
}

internal readonly struct StreamByteSink(Stream stream) : IByteSink
{
    public void Append(ReadOnlySpan<byte> bytes) => stream.Write(bytes);
}

internal readonly struct HashByteSink(XxHash128 hash) : IByteSink
{
    public XxHash128 Hash { get; } = hash;

    public void Append(ReadOnlySpan<byte> bytes) => Hash.Append(bytes);
}
