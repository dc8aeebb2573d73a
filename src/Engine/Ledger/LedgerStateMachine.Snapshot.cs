using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>Digest, capture and restore. None of this is on the per-command hot path.</summary>
public sealed partial class LedgerStateMachine
{
    /// <summary>
    /// XxHash128 of the canonical state bytes (the same bytes <see cref="LedgerStateImage.WriteTo"/> writes):
    /// last stamp, counters, accounts in creation order, stored transfers in creation order, then evicted
    /// holds by timestamp. Equal states ⇒ equal digests. Streams the live arrays: no big copy.
    /// </summary>
    public UInt128 ComputeDigest()
    {
        var evicted = CollectEvicted();
        var sink = new HashByteSink(new XxHash128());
        LedgerStateImage.WriteHeader(ref sink, LastIndex, LastTerm, LastTimestamp, CommandCount, _accountCount, _window.Count, evicted.Length, ForgottenSagaHighWater);
        sink.Append(MemoryMarshal.AsBytes(Accounts));
        for (var i = 0; i < _window.Count; i++)
        {
            sink.Append(MemoryMarshal.AsBytes(new ReadOnlySpan<StoredTransfer>(in _slots[_window[i]])));
        }

        sink.Append(MemoryMarshal.AsBytes(evicted.AsSpan()));
        LedgerStateImage.WriteTrailer(ref sink);
        return sink.Hash.GetCurrentHashAsUInt128();
    }

    /// <summary>Copies the state (call between commands on the BLP thread); see <see cref="LedgerStateImage"/> for cost.</summary>
    public LedgerStateImage CaptureImage() => CaptureImage(reuse: null);

    /// <summary>
    /// Copies the state into <paramref name="reuse"/>'s buffers when they are large enough (an image the caller is done
    /// with: its snapshot was written), else into new ones with 1/8 headroom (64 items at least). A snapshot of a full 2^20 window is a
    /// ~150 MB copy either way, but reusing the buffers spares the BLP thread a fresh large-object allocation (zeroing,
    /// and a gen2 collection later) at every snapshot.
    /// </summary>
    internal LedgerStateImage CaptureImage(LedgerStateImage? reuse)
    {
        var evicted = CollectEvicted();
        var transferCount = _window.Count + evicted.Length;
        var transfers = reuse is not null && reuse.TransferBuffer.Length >= transferCount ? reuse.TransferBuffer : new StoredTransfer[transferCount + Math.Max(transferCount >> 3, 64)];
        var accounts = reuse is not null && reuse.AccountBuffer.Length >= _accountCount ? reuse.AccountBuffer : new Account[_accountCount + Math.Max(_accountCount >> 3, 64)];
        for (var i = 0; i < _window.Count; i++) transfers[i] = _slots[_window[i]];
        evicted.CopyTo(transfers, _window.Count);
        Accounts.CopyTo(accounts);
        return new LedgerStateImage(LastIndex, LastTerm, LastTimestamp, CommandCount, accounts, _accountCount, transfers, transferCount, _window.Count, ForgottenSagaHighWater);
    }

    /// <summary>The capture point's scalar fields (what <see cref="BeginCapture"/> records besides the window order).</summary>
    internal readonly record struct CapturePoint(long LastIndex, long LastTerm, long LastTimestamp, long CommandCount,
        int AccountCount, int SlotCount, int WindowCount, ulong ForgottenSagaHighWater);

    // The copy-on-write capture in progress (or finished and not yet released): every write to an account or a slab
    // slot first lets it copy the chunk, see LedgerCapture.
    private LedgerCapture? _capture;

    /// <summary>
    /// Starts a copy-on-write capture of the current state (call between commands on the BLP thread). Costs the BLP a
    /// copy of the window's slot order (4 B per stored transfer) now, and one chunk copy the first time it changes a
    /// chunk the snapshot writer has not copied yet; the writer finishes with <see cref="LedgerCapture.CopyAll"/>.
    /// <paramref name="reuse"/>: a finished capture whose snapshot was written (its buffers are reused).
    /// </summary>
    internal LedgerCapture BeginCapture(LedgerCapture? reuse, int chunkShift = LedgerCapture.DefaultChunkShift)
    {
        if (_capture is { IsComplete: false }) throw new InvalidOperationException("a capture is already in progress");
        if (reuse is { IsComplete: false }) throw new InvalidOperationException("cannot reuse the buffers of a capture still in progress");
        var point = new CapturePoint(LastIndex, LastTerm, LastTimestamp, CommandCount, _accountCount, _slotHighWater, _window.Count, ForgottenSagaHighWater);
        var capture = new LedgerCapture(point, _accounts, _slots, reuse, chunkShift);
        _window.CopyTo(capture.OrderBuffer);
        _capture = capture;
        return capture;
    }

    /// <summary>BLP: forgets a capture once it has copied everything (the write hooks then cost one null check).</summary>
    internal void ReleaseCompletedCapture()
    {
        if (_capture is { IsComplete: true }) _capture = null;
    }

    // The write hooks sit on the BLP's hottest paths: inlined, they are one field load and a not-taken branch; the
    // capture's own check (range, chunk state) stays out of line so it does not bloat the callers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CaptureBeforeAccountWrite(int index)
    {
        if (_capture is not null) CaptureAccountChunk(index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CaptureBeforeSlotWrite(int slot)
    {
        if (_capture is not null) CaptureSlotChunk(slot);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CaptureAccountChunk(int index) => _capture!.BeforeAccountWrite(index);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CaptureSlotChunk(int slot) => _capture!.BeforeSlotWrite(slot);

    /// <summary>Convenience: capture and write in one step (stops the caller for the whole write).</summary>
    public void WriteState(Stream destination) => CaptureImage().WriteTo(destination);

    /// <summary>
    /// Rebuilds a machine from <see cref="LedgerStateImage.WriteTo"/> bytes. The result has the same digest
    /// and answers every later command exactly as the original would. <paramref name="options"/> must equal
    /// the original's. Throws <see cref="InvalidDataException"/> on malformed or inconsistent input.
    /// </summary>
    public static LedgerStateMachine Restore(LedgerOptions options, Stream source)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Restore(options, LedgerStateImage.ReadFrom(source, options));
    }

    public static LedgerStateMachine Restore(LedgerOptions options, LedgerStateImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var machine = new LedgerStateMachine(options);
        machine.Load(image);
        return machine;
    }

    private StoredTransfer[] CollectEvicted() => CollectEvicted(_slots.AsSpan(0, _slotHighWater));

    /// <summary>
    /// The live holds that left the window (still findable by id until resolved), ordered by timestamp — unique, so a
    /// total order independent of slot layout. Shared with <see cref="LedgerCapture"/>, which runs it over its copy.
    /// </summary>
    internal static StoredTransfer[] CollectEvicted(ReadOnlySpan<StoredTransfer> slots)
    {
        var count = 0;
        for (var s = 0; s < slots.Length; s++)
        {
            if (slots[s].IsLive && slots[s].Evicted != 0) count++;
        }

        if (count == 0) return [];
        var result = new StoredTransfer[count];
        var keys = new long[count];
        var n = 0;
        for (var s = 0; s < slots.Length; s++)
        {
            if (!slots[s].IsLive || slots[s].Evicted == 0) continue;
            keys[n] = slots[s].Transfer.Timestamp;
            result[n++] = slots[s];
        }

        Array.Sort(keys, result);
        return result;
    }

    private void Load(LedgerStateImage image)
    {
        if (image.LastIndex < 0 || image.LastTimestamp < 0 || image.CommandCount < 0) throw new InvalidDataException("Ledger state: negative header field.");
        if (image.AccountCount > _options.MaxAccounts) throw new InvalidDataException("Ledger state: too many accounts.");
        if (image.WindowCount > _options.TransferRetentionCount + _options.MaxBatchSize) throw new InvalidDataException("Ledger state: window too large.");
        LastIndex = image.LastIndex;
        LastTerm = image.LastTerm;
        LastTimestamp = image.LastTimestamp;
        CommandCount = image.CommandCount;
        ForgottenSagaHighWater = image.ForgottenSagaHighWater;
        // One allocation per table instead of doubling through every size (both counts were bounds-checked above
        // or are capped inside; a malformed image is still refused below, item by item).
        ReserveCapacity(image.AccountCount, image.TransferCount);

        long previousTimestamp = 0;
        foreach (ref readonly var a in image.Accounts)
        {
            if (IsReservedId(a.Id)) throw new InvalidDataException("Ledger state: reserved account id.");
            if (!a.ReservedIsZero || (a.Flags & ~KnownAccountFlags) != 0 || (a.Flags & AccountFlags.Linked) != 0)
                throw new InvalidDataException($"Ledger state: account {a.Id} has reserved bits set.");
            if (!_catalog.Contains(a.Ledger) || a.Code == 0) throw new InvalidDataException($"Ledger state: account {a.Id} has an invalid ledger/code.");
            if (a.DebitsPending < 0 || a.DebitsPosted < 0 || a.CreditsPending < 0 || a.CreditsPosted < 0)
                throw new InvalidDataException($"Ledger state: account {a.Id} has a negative balance field.");
            if (a.Timestamp <= previousTimestamp || a.Timestamp > LastTimestamp) throw new InvalidDataException($"Ledger state: account {a.Id} timestamp out of order.");
            previousTimestamp = a.Timestamp;
            if (_accountIndex.TryGet(a.Id, out _)) throw new InvalidDataException($"Ledger state: duplicate account {a.Id}.");
            EnsureAccountCapacity();
            _accounts[_accountCount] = a;
            _accountIndex.Add(a.Id, _accountCount);
            _accountCount++;
        }

        previousTimestamp = 0;
        var transfers = image.Transfers;
        for (var i = 0; i < transfers.Length; i++)
        {
            ref readonly var r = ref transfers[i];
            var inWindow = i < image.WindowCount;
            if (i == image.WindowCount) previousTimestamp = 0;
            var t = r.Transfer;
            if (IsReservedId(t.Id) || r.State is < TransferState.Settled or > TransferState.Fenced || r.Reserved0 != 0 || r.Reserved1 != 0 || t.Reserved != 0)
                throw new InvalidDataException("Ledger state: invalid transfer record.");
            if (r.Evicted != (inWindow ? 0 : 1) || (!inWindow && r.State != TransferState.Pending))
                throw new InvalidDataException($"Ledger state: transfer {t.Id} has an invalid eviction mark.");
            if (t.Timestamp <= previousTimestamp || t.Timestamp > LastTimestamp) throw new InvalidDataException($"Ledger state: transfer {t.Id} timestamp out of order.");
            previousTimestamp = t.Timestamp;
            if (r.DeadlineTimestamp < 0 || (r.DeadlineTimestamp != 0 && r.State == TransferState.Settled))
                throw new InvalidDataException($"Ledger state: transfer {t.Id} has an invalid deadline.");
            if (_transferIndex.TryGet(t.Id, out _)) throw new InvalidDataException($"Ledger state: duplicate transfer {t.Id}.");
            if (r.State == TransferState.Pending)
            {
                if (_pendingCount >= _options.MaxPendingTransfers) throw new InvalidDataException("Ledger state: too many pending transfers.");
                if (!_accountIndex.TryGet(t.DebitAccountId, out _) || !_accountIndex.TryGet(t.CreditAccountId, out _))
                    throw new InvalidDataException($"Ledger state: pending transfer {t.Id} references a missing account.");
            }

            var slot = AllocateSlot();
            _slots[slot] = r;
            _transferIndex.Add(t.Id, slot);
            if (inWindow) _window.PushBack(slot);
            if (r.State == TransferState.Pending)
            {
                _pendingCount++;
                if (r.DeadlineTimestamp != 0) _expiry.Push(slot, r.DeadlineTimestamp, t.Id);
            }
        }

        RebuildLocks();
        if (!LedgerInvariants.TryCheck(this, out var violation)) throw new InvalidDataException("Ledger state: " + violation);
    }
}
