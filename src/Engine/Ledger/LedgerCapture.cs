using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// A copy-on-write capture of a <see cref="LedgerStateMachine"/> at one batch end, for snapshots: the BLP pays a
/// few µs per chunk it is about to change instead of copying the whole state at once.
/// <para>
/// Why: <see cref="LedgerStateMachine.CaptureImage()"/> copies every account and every stored transfer on the BLP
/// thread — with 1M accounts and a full 2^20 window ≈ 280 MB, tens of ms during which no command is applied (the
/// e2e tail, BENCHMARKS §3c). Here <see cref="LedgerStateMachine.BeginCapture"/> only records the header fields,
/// the counts and the window's slot order (4 B per stored transfer); the accounts and the transfer slab are then
/// copied in chunks of <c>2^chunkShift</c> items by whichever thread gets there first: the snapshot writer thread
/// (<see cref="CopyAll"/>, walking every chunk), or the BLP just before it writes into a chunk nobody has copied
/// yet (it copies that one chunk, then writes). A chunk's state goes NotCopied → Copying → Copied by
/// compare-and-swap, so each chunk is copied exactly once, before its first change after the capture point. The BLP
/// waits only when the writer is in the middle of that very chunk (one chunk copy, a few µs).
/// </para>
/// <para>
/// Items past the captured counts (accounts created, slab slots first used after the capture) are not part of the
/// capture and are never read by the writer, so the BLP writes them freely. If the BLP grows an array, the capture
/// keeps reading the old one, which nobody writes any more: its uncopied chunks still hold the captured values.
/// </para>
/// The serialized bytes and digest are exactly <see cref="LedgerStateImage"/>'s for the same state.
/// </summary>
internal sealed class LedgerCapture
{
    public const int DefaultChunkShift = 6; // 64 items: 8 KiB of accounts, 9 KiB of transfers per chunk (a first touch costs the BLP ~1–2 µs)

    private const int NotCopied = 0;
    private const int Copying = 1;
    private const int Copied = 2;
    private const int StagingItems = 512; // gather buffer for the window's transfers (72 KiB)

    private readonly int _chunkShift;
    private readonly Account[] _sourceAccounts;
    private readonly StoredTransfer[] _sourceSlots;
    private readonly int[] _accountChunks;
    private readonly int[] _slotChunks;
    private StoredTransfer[] _evicted = [];
    private volatile bool _complete;

    internal LedgerCapture(LedgerStateMachine.CapturePoint point, Account[] sourceAccounts, StoredTransfer[] sourceSlots,
        LedgerCapture? reuse, int chunkShift)
    {
        Debug.Assert(chunkShift is >= 0 and <= 20);
        LastIndex = point.LastIndex;
        LastTerm = point.LastTerm;
        LastTimestamp = point.LastTimestamp;
        CommandCount = point.CommandCount;
        AccountCount = point.AccountCount;
        SlotCount = point.SlotCount;
        WindowCount = point.WindowCount;
        ForgottenSagaHighWater = point.ForgottenSagaHighWater;
        _chunkShift = chunkShift;
        _sourceAccounts = sourceAccounts;
        _sourceSlots = sourceSlots;
        // Buffers of a capture whose snapshot was written are reused when large enough (no large-object allocation,
        // no gen2 collection per snapshot). New ones are as long as the live array they copy — its capacity, not its
        // count: a node that preallocates its transfer slab (wallet serve) allocates each buffer once for its lifetime,
        // and one that grows its arrays by doubling reallocates as rarely (the count-based 1/8 headroom this replaced
        // reallocated ~190 MB several times while a slab filled, each a large-object allocation and a gen2 collection).
        // Uninitialised: only the captured prefix is ever read, and every chunk of it is copied before it is read, so
        // nobody needs the zeroing (which also touched every page of the buffer at once, on the BLP thread).
        AccountBuffer = reuse is not null && reuse.AccountBuffer.Length >= AccountCount ? reuse.AccountBuffer : NewBuffer<Account>(AccountCount, sourceAccounts.Length);
        SlotBuffer = reuse is not null && reuse.SlotBuffer.Length >= SlotCount ? reuse.SlotBuffer : NewBuffer<StoredTransfer>(SlotCount, sourceSlots.Length);
        OrderBuffer = reuse is not null && reuse.OrderBuffer.Length >= WindowCount ? reuse.OrderBuffer : NewBuffer<int>(WindowCount, sourceSlots.Length);
        _accountChunks = new int[ChunkCount(AccountCount)];
        _slotChunks = new int[ChunkCount(SlotCount)];
    }

    public long LastIndex { get; }
    public long LastTerm { get; }
    public long LastTimestamp { get; }
    public long CommandCount { get; }
    public int AccountCount { get; }
    /// <summary>Slab slots in use at the capture point (the slab's high-water mark).</summary>
    public int SlotCount { get; }
    public int WindowCount { get; }
    /// <summary>See <see cref="LedgerStateMachine.ForgottenSagaHighWater"/>, at the capture point.</summary>
    public ulong ForgottenSagaHighWater { get; }
    /// <summary>True once every chunk is copied and the evicted holds are collected (<see cref="CopyAll"/> returned).</summary>
    public bool IsComplete => _complete;

    internal Account[] AccountBuffer { get; }
    internal StoredTransfer[] SlotBuffer { get; }
    /// <summary>The window's slots, oldest first, at the capture point (filled by the BLP at the capture).</summary>
    internal int[] OrderBuffer { get; }

    /// <summary>Chunks the BLP copied itself, just before changing them (how much of the copy the live thread paid for).</summary>
    public int ChunksCopiedOnWrite => Volatile.Read(ref _chunksCopiedOnWrite);

    private int _chunksCopiedOnWrite;

    private static T[] NewBuffer<T>(int count, int capacity) where T : unmanaged =>
        GC.AllocateUninitializedArray<T>(Math.Max(capacity, count + 64));

    private int ChunkCount(int items) => (int)(((long)items + (1L << _chunkShift) - 1) >> _chunkShift);

    /// <summary>BLP thread, before it changes account <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeforeAccountWrite(int index)
    {
        if ((uint)index >= (uint)AccountCount) return; // created after the capture: not part of it
        int chunk = index >> _chunkShift;
        if (Volatile.Read(ref _accountChunks[chunk]) != Copied) EnsureCopied(_accountChunks, chunk, accounts: true);
    }

    /// <summary>BLP thread, before it changes slab slot <paramref name="slot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeforeSlotWrite(int slot)
    {
        if ((uint)slot >= (uint)SlotCount) return; // first used after the capture: not part of it
        int chunk = slot >> _chunkShift;
        if (Volatile.Read(ref _slotChunks[chunk]) != Copied) EnsureCopied(_slotChunks, chunk, accounts: false);
    }

    /// <summary>
    /// Snapshot writer thread: copies every chunk not yet copied, waits for any the BLP is copying, then collects the
    /// evicted holds from the copy. Afterwards the capture no longer reads the live machine.
    /// </summary>
    public void CopyAll()
    {
        for (int c = 0; c < _accountChunks.Length; c++) TryCopy(_accountChunks, c, accounts: true);
        for (int c = 0; c < _slotChunks.Length; c++) TryCopy(_slotChunks, c, accounts: false);
        for (int c = 0; c < _accountChunks.Length; c++) WaitCopied(_accountChunks, c);
        for (int c = 0; c < _slotChunks.Length; c++) WaitCopied(_slotChunks, c);
        _evicted = LedgerStateMachine.CollectEvicted(SlotBuffer.AsSpan(0, SlotCount)); // same rule and order as the live machine's
        _complete = true;
    }

    /// <summary>Exact number of bytes <see cref="WriteTo"/> produces (after <see cref="CopyAll"/>).</summary>
    public long SizeBytes => LedgerStateImage.HeaderBytes + ((long)AccountCount * Account.SizeBytes)
        + ((long)(WindowCount + _evicted.Length) * StoredTransfer.SizeBytes) + 8;

    /// <summary>Writes the <see cref="LedgerStateImage.WriteTo"/> bytes of the captured state (after <see cref="CopyAll"/>).</summary>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var sink = new StreamByteSink(destination);
        Serialize(ref sink);
    }

    /// <summary>The captured state's digest: equals <see cref="LedgerStateMachine.ComputeDigest"/> at the capture point.</summary>
    public UInt128 ComputeDigest()
    {
        var sink = new HashByteSink(new XxHash128());
        Serialize(ref sink);
        return sink.Hash.GetCurrentHashAsUInt128();
    }

    /// <summary>A detached <see cref="LedgerStateImage"/> of the captured state (tests, tools; copies the transfers).</summary>
    public LedgerStateImage ToImage()
    {
        if (!_complete) throw new InvalidOperationException("capture not complete: call CopyAll first");
        var transfers = new StoredTransfer[WindowCount + _evicted.Length];
        for (int i = 0; i < WindowCount; i++) transfers[i] = SlotBuffer[OrderBuffer[i]];
        _evicted.CopyTo(transfers, WindowCount);
        return new LedgerStateImage(LastIndex, LastTerm, LastTimestamp, CommandCount, AccountBuffer.AsSpan(0, AccountCount).ToArray(), transfers, WindowCount, ForgottenSagaHighWater);
    }

    private void Serialize<TSink>(ref TSink sink) where TSink : struct, IByteSink
    {
        if (!_complete) throw new InvalidOperationException("capture not complete: call CopyAll first");
        LedgerStateImage.WriteHeader(ref sink, LastIndex, LastTerm, LastTimestamp, CommandCount, AccountCount, WindowCount, _evicted.Length, ForgottenSagaHighWater);
        sink.Append(MemoryMarshal.AsBytes(AccountBuffer.AsSpan(0, AccountCount)));
        // The window in creation order, gathered from the slot-indexed copy through a small staging buffer.
        var staging = new StoredTransfer[Math.Min(StagingItems, Math.Max(WindowCount, 1))];
        for (int from = 0; from < WindowCount; from += staging.Length)
        {
            int n = Math.Min(staging.Length, WindowCount - from);
            for (int i = 0; i < n; i++) staging[i] = SlotBuffer[OrderBuffer[from + i]];
            sink.Append(MemoryMarshal.AsBytes(staging.AsSpan(0, n)));
        }
        sink.Append(MemoryMarshal.AsBytes(_evicted.AsSpan()));
        LedgerStateImage.WriteTrailer(ref sink);
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // the rare path: keep the BLP's inlined check small
    private void EnsureCopied(int[] states, int chunk, bool accounts)
    {
        if (TryCopy(states, chunk, accounts))
        {
            Volatile.Write(ref _chunksCopiedOnWrite, _chunksCopiedOnWrite + 1); // only the BLP writes it
            return;
        }
        WaitCopied(states, chunk);
    }

    /// <summary>Claims and copies the chunk; false if another thread claimed it first (it may still be copying).</summary>
    private bool TryCopy(int[] states, int chunk, bool accounts)
    {
        if (Interlocked.CompareExchange(ref states[chunk], Copying, NotCopied) != NotCopied) return false;
        int start = chunk << _chunkShift;
        if (accounts)
        {
            int length = Math.Min(1 << _chunkShift, AccountCount - start);
            Array.Copy(_sourceAccounts, start, AccountBuffer, start, length);
        }
        else
        {
            int length = Math.Min(1 << _chunkShift, SlotCount - start);
            Array.Copy(_sourceSlots, start, SlotBuffer, start, length);
        }
        // Release: the copy's reads complete before the BLP, seeing Copied, may write the chunk.
        Volatile.Write(ref states[chunk], Copied);
        return true;
    }

    private static void WaitCopied(int[] states, int chunk)
    {
        // Bounded by one chunk copy on the other thread. Never sleeps a whole ms: it yields so that, on a machine with
        // fewer cores than threads, the copying thread gets the core.
        var spin = new SpinWait();
        while (Volatile.Read(ref states[chunk]) != Copied) spin.SpinOnce(sleep1Threshold: -1);
    }
}
