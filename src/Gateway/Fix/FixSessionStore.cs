using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Wallet.Engine.Journal;

namespace Wallet.Gateway.Fix;

/// <summary>
/// What survives a reconnect or a gateway restart for one partner: the next outgoing and next expected incoming
/// MsgSeqNum (<c>NAME.seqnums</c>) and the application messages sent (<c>NAME.messages</c>: append-only records
/// <c>[u32 length][u32 crc32c][i32 seq][i64 origSendingTimeNs][u8 msgTypeLength][msgType][body fields]</c>), so a
/// ResendRequest can be answered with the original content. Bounded: the newest
/// <see cref="FixOptions.MaxStoredMessages"/> are indexed; when the file holds twice that many, it is compacted
/// (rewritten to a synced temp file, renamed). A torn or corrupt tail record (crash mid-append) is cut at open.
/// <para>
/// <b>Seqnums slots.</b> The seqnums file holds three slots, one file-system block apart:
/// <c>[u64 generation][i32 nextSender][i32 nextTarget][u32 crc32c]</c>; the valid slot with the highest generation
/// wins at open. Writes go to one slot only, never to the slot holding the last synced state nor to the one a sync
/// is in flight for, so a torn in-place write (power cut mid-writeback) can never lose the last durable numbers. The
/// previous 12-byte format (<c>[i32][i32][u32 crc]</c> at offset 0) is still read.
/// </para>
/// <para>
/// <b>Durability</b> (<see cref="FsyncPolicy"/>, <c>Fix:Fsync</c>): <c>None</c> — writes go to the page cache only
/// (they survive a process crash, not a power cut). <c>Batch</c> — writes mark the files dirty and
/// <see cref="SyncIfDirty"/>, called by the session's writer before each socket write, fdatasyncs them: nothing that
/// took a number or was stored reaches the wire before it is on stable storage, and one sync covers everything since
/// the previous one. <c>Always</c> — every write is synced before the call returns.
/// </para>
/// <para>
/// <b>Recovery at open</b>: next outgoing = max(seqnums, last stored message + 1), so a lost seqnums write never
/// sends a number the partner has already seen; when no seqnums slot is valid the numbers are derived from the
/// messages file and a warning names the file (see <see cref="Recovery"/>). Thread-safe.
/// </para>
/// </summary>
internal sealed class FixSessionStore : IDisposable
{
    private const int RecordHeaderBytes = 8;
    private const int PayloadFixedBytes = 4 + 8 + 1;
    /// <summary>Slots live in different file-system blocks so a torn block write touches one slot at most.</summary>
    private const int SlotStrideBytes = 4096;
    private const int SlotCount = 3;
    private const int SlotBytes = 8 + 4 + 4 + 4;
    private const int LegacySeqNumsBytes = 12;
    /// <summary>Zero-filled ahead of the messages file's end when syncing (see Append).</summary>
    private const int PreallocateBytes = 1 << 20;
    private static readonly byte[] s_zeros = new byte[64 * 1024];
    private readonly object _sync = new();
    /// <summary>Serialises <see cref="SyncIfDirty"/> callers (taken before <see cref="_sync"/>, never while holding it).</summary>
    private readonly object _syncGate = new();
    private readonly string _name;
    private readonly string _directory;
    private readonly string _seqPath;
    private readonly string _messagesPath;
    private readonly int _capacity;
    private readonly FsyncPolicy _fsync;
    private readonly ILogger _logger;
    private readonly int[] _seqs;
    private readonly long[] _offsets;
    private readonly int[] _lengths;
    private readonly byte[] _scratch;
    private SafeFileHandle _seqHandle;
    private SafeFileHandle _messages;
    private long _messagesLength;
    /// <summary>Physical length of the messages file: past <see cref="_messagesLength"/> it is zero-filled (see Append).</summary>
    private long _messagesAllocated;
    private int _head; // index of the oldest entry
    private int _count;
    private long _recordsInFile;
    private int _nextSenderSeq = 1;
    private int _nextTargetSeq = 1;
    private readonly List<Func<int>> _unansweredFloors = [];
    private ulong _generation;
    private int _durableSlot;
    private int _writeSlot;
    private int _syncingSlot = -1;
    private bool _seqDirty;
    private bool _messagesDirty;
    private bool _disposed;
    /// <summary>Set first by <see cref="Dispose"/>: store-and-forward writes stop before the final sync, so none is left unsynced.</summary>
    private bool _closing;
    private IOException? _fault;
    private long _syncCount;

    public FixSessionStore(string directory, string name, int capacity, int maxRecordBytes, FsyncPolicy fsync = FsyncPolicy.Batch, ILogger? logger = null)
    {
        if (!Enum.IsDefined(fsync)) throw new ArgumentOutOfRangeException(nameof(fsync), fsync, "unknown fsync policy");
        Directory.CreateDirectory(directory);
        _name = name;
        _directory = directory;
        _fsync = fsync;
        _logger = logger ?? NullLogger.Instance;
        _seqPath = Path.Combine(directory, name + ".seqnums");
        _messagesPath = Path.Combine(directory, name + ".messages");
        _capacity = capacity;
        _seqs = new int[capacity];
        _offsets = new long[capacity];
        _lengths = new int[capacity];
        _scratch = new byte[RecordHeaderBytes + PayloadFixedBytes + 255 + maxRecordBytes];
        _seqHandle = File.OpenHandle(_seqPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        _messages = File.OpenHandle(_messagesPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            FixStoreRecovery seqState = LoadSeqNums();
            LoadMessages();
            Recover(seqState);
            if (_fsync != FsyncPolicy.None)
            {
                // Whatever open found or repaired (a cut tail, re-derived numbers, newly created files) is the base
                // every later sync builds on: make it durable now, directory entries included.
                if (_seqDirty) BeginSeqSync();
                DataSyncCounted(_messages, _messagesPath);
                DataSyncCounted(_seqHandle, _seqPath);
                FixFileSync.SyncDirectory(_directory);
                CompleteSeqSync();
                _seqDirty = _messagesDirty = false;
            }
        }
        catch
        {
            _seqHandle.Dispose();
            _messages.Dispose();
            throw;
        }
    }

    public int NextSenderSeq { get { lock (_sync) return _nextSenderSeq; } }
    public int NextTargetSeq { get { lock (_sync) return _nextTargetSeq; } }
    /// <summary>Messages indexed for resend.</summary>
    public int StoredCount { get { lock (_sync) return _count; } }
    /// <summary>Largest body (fields after the header) one record can hold.</summary>
    public int MaxBodyBytes => _scratch.Length - RecordHeaderBytes - PayloadFixedBytes - 255;
    public FsyncPolicy Fsync => _fsync;
    /// <summary>What open found (set once, by the constructor).</summary>
    public FixStoreRecovery Recovery { get; private set; }
    /// <summary>fdatasync calls issued on this store's files since it was opened (also counted by <c>wallet.fix.store.syncs</c>).</summary>
    public long SyncCount => Interlocked.Read(ref _syncCount);
    /// <summary>Batch only: something was written that no sync has covered yet (None never tracks; Always syncs inline).</summary>
    public bool IsDirty { get { lock (_sync) return _seqDirty || _messagesDirty; } }

    /// <summary>Claims the next outgoing sequence number (persisted before the message leaves, per the fsync policy).</summary>
    public int TakeSenderSeq()
    {
        lock (_sync)
        {
            int seq = _nextSenderSeq++;
            SaveSeqNums();
            return seq;
        }
    }

    /// <summary>
    /// Makes the recorded next incoming number never pass <paramref name="unansweredFloor"/>'s value: the MsgSeqNum
    /// of the oldest request still waiting for the ledger (see <see cref="FixApplication.UnansweredFloor"/>). The
    /// in-memory expectation (<see cref="NextTargetSeq"/>) still moves with every message; only the durable copy
    /// waits, so a crash between taking a request and committing it makes the restarted gateway ask for it again
    /// (ResendRequest) rather than forget it. Each session of the partner registers its own (a disconnected one keeps
    /// counting while it drains its requests in flight); the lowest wins. <see cref="Reset"/> drops them all (their
    /// numbers belong to the old sequence).
    /// </summary>
    public void TrackUnanswered(Func<int> unansweredFloor)
    {
        ArgumentNullException.ThrowIfNull(unansweredFloor);
        lock (_sync)
        {
            if (!_unansweredFloors.Contains(unansweredFloor)) _unansweredFloors.Add(unansweredFloor);
        }
    }

    /// <summary>A session that has drained (or given up on) its requests in flight stops holding the number back.</summary>
    public void StopTracking(Func<int> unansweredFloor)
    {
        lock (_sync) _unansweredFloors.Remove(unansweredFloor);
    }

    /// <summary>Number written to disk as the next expected incoming one (under the lock).</summary>
    private int DurableTargetSeq()
    {
        int durable = _nextTargetSeq;
        foreach (Func<int> f in _unansweredFloors)
        {
            int floor = f();
            if (floor >= 1 && floor < durable) durable = floor; // a nonsense value (≤ 0) is ignored, never recorded
        }
        return durable;
    }

    public void SetNextTargetSeq(int next)
    {
        lock (_sync)
        {
            if (_nextTargetSeq == next) return;
            _nextTargetSeq = next;
            SaveSeqNums();
        }
    }

    /// <summary>ResetSeqNumFlag / a new FIX session day: both numbers back to 1, the resend store emptied.</summary>
    public void Reset()
    {
        lock (_sync)
        {
            // Empty the messages file first and (unless None) make that durable before the numbers go back to 1:
            // otherwise a power cut could bring back reset numbers next to the old messages, and the recovery rule
            // (max with the last stored message) would resurrect the old day's numbers.
            RandomAccess.SetLength(_messages, 0);
            if (_fsync != FsyncPolicy.None) SyncMessagesNowLocked();
            _unansweredFloors.Clear(); // numbers of the old sequence: they must not hold back the new one
            _messagesLength = 0;
            _messagesAllocated = 0;
            _recordsInFile = 0;
            _head = _count = 0;
            _nextSenderSeq = 1;
            _nextTargetSeq = 1;
            SaveSeqNums();
        }
    }

    /// <summary>
    /// Store and forward for a session that is no longer logged on: takes the next number and stores the message
    /// under it in one step, for the partner to fetch by ResendRequest after its next Logon. False (nothing written)
    /// once the store is closed — the gateway is shutting down and the answer arrived after the drain; the
    /// partner's request is then still below the recorded incoming number's floor, so after the restart it is
    /// re-requested and answered from the ledger (a transfer already applied answers Exists).
    /// </summary>
    public bool TryStoreUnsent(long origSendingTimeNs, ReadOnlySpan<byte> msgType, ReadOnlySpan<byte> body)
    {
        lock (_sync)
        {
            if (_closing) return false;
            int seq = _nextSenderSeq++;
            SaveSeqNums();
            Append(seq, origSendingTimeNs, msgType, body);
            return true;
        }
    }

    /// <summary>Persists a sent application message (call in send order, under the session's send lock).</summary>
    public void Append(int seq, long origSendingTimeNs, ReadOnlySpan<byte> msgType, ReadOnlySpan<byte> body)
    {
        lock (_sync)
        {
            int payload = PayloadFixedBytes + msgType.Length + body.Length;
            if (msgType.Length > 255 || RecordHeaderBytes + payload > _scratch.Length) return; // cannot happen: bodies are bounded by the session
            Span<byte> r = _scratch.AsSpan(0, RecordHeaderBytes + payload);
            BinaryPrimitives.WriteInt32LittleEndian(r[8..], seq);
            BinaryPrimitives.WriteInt64LittleEndian(r[12..], origSendingTimeNs);
            r[20] = (byte)msgType.Length;
            msgType.CopyTo(r[21..]);
            body.CopyTo(r[(21 + msgType.Length)..]);
            BinaryPrimitives.WriteUInt32LittleEndian(r, (uint)payload);
            BinaryPrimitives.WriteUInt32LittleEndian(r[4..], Crc32C.Compute(r[8..]));
            // Appending past the file's end makes every fdatasync commit a size change too (a file-system journal
            // commit: about 3x the cost of a data-only sync measured on our disk). When syncing, the file is therefore
            // zero-filled 1 MiB ahead, rarely; records overwrite zeros, and a zero header ends the scan at open.
            if (_fsync != FsyncPolicy.None && _messagesLength + r.Length > _messagesAllocated) Preallocate(_messagesLength + r.Length);
            RandomAccess.Write(_messages, r, _messagesLength);
            Index(seq, _messagesLength, r.Length);
            _messagesLength += r.Length;
            _recordsInFile++;
            _messagesDirty = _fsync != FsyncPolicy.None;
            if (_recordsInFile >= 2L * _capacity) Compact();
            if (_fsync == FsyncPolicy.Always) SyncMessagesNowLocked();
        }
    }

    /// <summary>
    /// Group commit (<c>Batch</c>): fdatasyncs what was written since the last sync, if anything. The session's writer
    /// calls this after taking its pending bytes and before the socket write: every number and message in those bytes
    /// was written before they were queued, so it is covered. Writers are not blocked while the disk works (the sync
    /// runs outside the store lock; writes meanwhile go to another seqnums slot and past the synced end of the
    /// messages file). Returns true when it synced. Under <c>None</c> and <c>Always</c> it does nothing. Throws
    /// <see cref="IOException"/> when this or an earlier sync failed: the caller must not send.
    /// </summary>
    public bool SyncIfDirty()
    {
        if (_fsync != FsyncPolicy.Batch)
        {
            lock (_sync)
            {
                if (_fault is not null) throw Faulted();
            }
            return false;
        }
        lock (_syncGate)
        {
            SafeFileHandle? seq = null;
            SafeFileHandle? messages = null;
            bool seqAdded = false, messagesAdded = false;
            try
            {
                lock (_sync)
                {
                    ObjectDisposedException.ThrowIf(_disposed, this);
                    if (_fault is not null) throw Faulted();
                    if (!_seqDirty && !_messagesDirty) return false;
                    if (_messagesDirty)
                    {
                        messages = _messages;
                        messages.DangerousAddRef(ref messagesAdded); // a compaction may swap the handle meanwhile
                        _messagesDirty = false;
                    }
                    if (_seqDirty)
                    {
                        seq = _seqHandle;
                        seq.DangerousAddRef(ref seqAdded);
                        BeginSeqSync();
                        _seqDirty = false;
                    }
                }
                try
                {
                    if (messages is not null) DataSyncCounted(messages, _messagesPath);
                    if (seq is not null) DataSyncCounted(seq, _seqPath);
                }
                catch (IOException ex)
                {
                    lock (_sync) _fault = ex;
                    FixLog.StoreSyncFailed(_logger, _name, ex);
                    throw;
                }
                if (seq is not null)
                {
                    lock (_sync) CompleteSeqSync();
                }
                return true;
            }
            finally
            {
                if (messagesAdded) messages!.DangerousRelease();
                if (seqAdded) seq!.DangerousRelease();
            }
        }
    }

    private IOException Faulted() => new($"FIX store {_name}: an earlier fdatasync failed ({_fault!.Message}); nothing more is sent from this store until the gateway restarts", _fault);

    /// <summary>
    /// Copies the stored message with sequence number <paramref name="seq"/> into <paramref name="destination"/>;
    /// false when it was not an application message (or is older than the bound).
    /// </summary>
    public bool TryGet(int seq, Span<byte> destination, out long origSendingTimeNs, out int msgTypeLength, out int bodyLength)
    {
        origSendingTimeNs = 0;
        msgTypeLength = bodyLength = 0;
        lock (_sync)
        {
            int i = Find(seq);
            if (i < 0) return false;
            int length = _lengths[i];
            Span<byte> r = _scratch.AsSpan(0, length);
            if (RandomAccess.Read(_messages, r, _offsets[i]) != length) return false;
            origSendingTimeNs = BinaryPrimitives.ReadInt64LittleEndian(r[12..]);
            msgTypeLength = r[20];
            bodyLength = length - RecordHeaderBytes - PayloadFixedBytes - msgTypeLength;
            if (destination.Length < msgTypeLength + bodyLength) return false;
            r.Slice(21, msgTypeLength + bodyLength).CopyTo(destination);
            return true;
        }
    }

    /// <summary>The smallest stored sequence number at or after <paramref name="seq"/>, or int.MaxValue.</summary>
    public int NextStoredAtOrAfter(int seq)
    {
        lock (_sync)
        {
            for (int k = 0; k < _count; k++)
            {
                int s = _seqs[(_head + k) % _capacity];
                if (s >= seq) return s;
            }
            return int.MaxValue;
        }
    }

    private void Index(int seq, long offset, int length)
    {
        int slot;
        if (_count < _capacity)
        {
            slot = (_head + _count) % _capacity;
            _count++;
        }
        else
        {
            slot = _head;
            _head = (_head + 1) % _capacity;
        }
        _seqs[slot] = seq;
        _offsets[slot] = offset;
        _lengths[slot] = length;
    }

    /// <summary>Binary search over the ring (sequence numbers ascend from the oldest entry).</summary>
    private int Find(int seq)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int s = _seqs[(_head + mid) % _capacity];
            if (s == seq) return (_head + mid) % _capacity;
            if (s < seq) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    // ---- seqnums slots -------------------------------------------------------------------------------------

    /// <summary>Reads the newest valid slot (or the legacy record); returns New, Clean or the kind of damage.</summary>
    private FixStoreRecovery LoadSeqNums()
    {
        long length = RandomAccess.GetLength(_seqHandle);
        Span<byte> b = stackalloc byte[SlotBytes];
        int best = -1;
        for (int k = 0; k < SlotCount; k++)
        {
            if (RandomAccess.Read(_seqHandle, b, (long)k * SlotStrideBytes) != SlotBytes) continue;
            if (Crc32C.Compute(b[..16]) != BinaryPrimitives.ReadUInt32LittleEndian(b[16..])) continue;
            ulong generation = BinaryPrimitives.ReadUInt64LittleEndian(b);
            int s = BinaryPrimitives.ReadInt32LittleEndian(b[8..]);
            int t = BinaryPrimitives.ReadInt32LittleEndian(b[12..]);
            if (generation == 0 || s < 1 || t < 1 || (best >= 0 && generation <= _generation)) continue;
            best = k;
            _generation = generation;
            _nextSenderSeq = s;
            _nextTargetSeq = t;
        }
        if (best < 0 && RandomAccess.Read(_seqHandle, b[..LegacySeqNumsBytes], 0) == LegacySeqNumsBytes
            && Crc32C.Compute(b[..8]) == BinaryPrimitives.ReadUInt32LittleEndian(b[8..]))
        {
            int s = BinaryPrimitives.ReadInt32LittleEndian(b);
            int t = BinaryPrimitives.ReadInt32LittleEndian(b[4..]);
            if (s >= 1 && t >= 1)
            {
                best = 0; // the legacy record occupies slot 0's place: keep it until a newer slot is durable
                _nextSenderSeq = s;
                _nextTargetSeq = t;
            }
        }
        if (best >= 0)
        {
            _durableSlot = best;
            _writeSlot = (best + 1) % SlotCount;
            return FixStoreRecovery.Clean;
        }
        _durableSlot = SlotCount - 1; // nothing durable to protect: any slot may be written
        _writeSlot = 0;
        return length == 0 ? FixStoreRecovery.New : FixStoreRecovery.SeqNumsCorrupt;
    }

    /// <summary>The recovery rule: never restart below a number already stored (hence maybe already sent).</summary>
    private void Recover(FixStoreRecovery seqState)
    {
        int lastStored = _count > 0 ? _seqs[(_head + _count - 1) % _capacity] : 0;
        FixStoreRecovery outcome = seqState;
        if (seqState == FixStoreRecovery.New && lastStored > 0) outcome = FixStoreRecovery.SeqNumsMissing;
        int seqNumsNext = _nextSenderSeq;
        if (lastStored >= _nextSenderSeq)
        {
            _nextSenderSeq = lastStored + 1;
            if (outcome == FixStoreRecovery.Clean) outcome = FixStoreRecovery.AdvancedFromMessages;
        }
        Recovery = outcome;
        switch (outcome)
        {
            case FixStoreRecovery.AdvancedFromMessages:
                FixLog.StoreSeqNumsBehind(_logger, _name, _seqPath, seqNumsNext, lastStored, _nextSenderSeq);
                SaveSeqNums();
                break;
            case FixStoreRecovery.SeqNumsCorrupt:
            case FixStoreRecovery.SeqNumsMissing:
                FixLog.StoreSeqNumsUnusable(_logger, _name, _seqPath, outcome == FixStoreRecovery.SeqNumsCorrupt ? "fails its checksum in every slot (torn or corrupt write)" : "is missing or empty",
                    _messagesPath, lastStored, _nextSenderSeq, _nextTargetSeq);
                SaveSeqNums();
                break;
        }
    }

    /// <summary>Writes the numbers into the write slot; never the last durable slot nor the one being synced.</summary>
    private void SaveSeqNums()
    {
        Span<byte> b = stackalloc byte[SlotBytes];
        _generation++;
        BinaryPrimitives.WriteUInt64LittleEndian(b, _generation);
        BinaryPrimitives.WriteInt32LittleEndian(b[8..], _nextSenderSeq);
        BinaryPrimitives.WriteInt32LittleEndian(b[12..], DurableTargetSeq());
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], Crc32C.Compute(b[..16]));
        RandomAccess.Write(_seqHandle, b, (long)_writeSlot * SlotStrideBytes);
        switch (_fsync)
        {
            case FsyncPolicy.Batch:
                _seqDirty = true;
                break;
            case FsyncPolicy.Always:
                BeginSeqSync();
                if (TrySyncLocked(_seqHandle, _seqPath)) CompleteSeqSync();
                break;
        }
    }

    /// <summary>Under the lock: the write slot is about to be synced; later writes go to the third slot.</summary>
    private void BeginSeqSync()
    {
        _syncingSlot = _writeSlot;
        _writeSlot = SlotCount - _durableSlot - _syncingSlot; // the slot that is neither durable nor syncing (0+1+2 = 3)
    }

    /// <summary>Under the lock: the synced slot is now the durable one.</summary>
    private void CompleteSeqSync()
    {
        if (_syncingSlot < 0) return;
        _durableSlot = _syncingSlot;
        _syncingSlot = -1;
    }

    // ---- messages file -------------------------------------------------------------------------------------

    private void LoadMessages()
    {
        long fileLength = RandomAccess.GetLength(_messages);
        long offset = 0;
        Span<byte> header = stackalloc byte[RecordHeaderBytes];
        while (offset + RecordHeaderBytes <= fileLength)
        {
            if (RandomAccess.Read(_messages, header, offset) != RecordHeaderBytes) break;
            uint payload = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (payload < PayloadFixedBytes || RecordHeaderBytes + payload > _scratch.Length || offset + RecordHeaderBytes + payload > fileLength) break;
            Span<byte> body = _scratch.AsSpan(0, (int)payload);
            if (RandomAccess.Read(_messages, body, offset + RecordHeaderBytes) != payload) break;
            if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(header[4..])) break;
            int seq = BinaryPrimitives.ReadInt32LittleEndian(body);
            if (seq < 1 || (_count > 0 && seq <= _seqs[(_head + _count - 1) % _capacity])) break;
            Index(seq, offset, RecordHeaderBytes + (int)payload);
            offset += RecordHeaderBytes + payload;
            _recordsInFile++;
        }
        // Torn or corrupt tail, or the zero-filled room ahead (re-made at the next append): cut, so nothing after the
        // last good record can ever be mistaken for one.
        if (offset < fileLength) RandomAccess.SetLength(_messages, offset);
        _messagesLength = offset;
        _messagesAllocated = offset;
    }

    /// <summary>Rewrites the file with only the indexed (newest) records.</summary>
    private void Compact()
    {
        string temp = _messagesPath + ".compact";
        long written = 0;
        using (SafeFileHandle t = File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            for (int k = 0; k < _count; k++)
            {
                int i = (_head + k) % _capacity;
                Span<byte> r = _scratch.AsSpan(0, _lengths[i]);
                RandomAccess.Read(_messages, r, _offsets[i]);
                RandomAccess.Write(t, r, written);
                _offsets[i] = written;
                written += r.Length;
            }
            RandomAccess.FlushToDisk(t);
        }
        _messages.Dispose(); // a sync in flight holds its own reference: the close waits for it
        File.Move(temp, _messagesPath, overwrite: true);
        _messages = File.OpenHandle(_messagesPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        _messagesLength = written;
        _messagesAllocated = written;
        _recordsInFile = _count;
        if (_fsync != FsyncPolicy.None)
        {
            // The rename must be durable before anything appended to the new file is relied on: without this, a power
            // cut could bring back the old name's contents and lose every message appended after the compaction.
            try
            {
                FixFileSync.SyncDirectory(_directory);
            }
            catch (IOException ex)
            {
                _fault ??= ex;
                FixLog.StoreSyncFailed(_logger, _name, ex);
            }
        }
    }

    /// <summary>Zero-fills the messages file from its physical end to at least <paramref name="neededBytes"/> plus <see cref="PreallocateBytes"/>.</summary>
    private void Preallocate(long neededBytes)
    {
        long target = Math.Max(neededBytes, _messagesAllocated) + PreallocateBytes;
        for (long at = _messagesAllocated; at < target;)
        {
            int n = (int)Math.Min(s_zeros.Length, target - at);
            RandomAccess.Write(_messages, s_zeros.AsSpan(0, n), at);
            at += n;
        }
        _messagesAllocated = target;
    }

    // ---- syncing -------------------------------------------------------------------------------------------

    private void SyncMessagesNowLocked()
    {
        if (TrySyncLocked(_messages, _messagesPath)) _messagesDirty = false;
    }

    /// <summary>
    /// Under the lock (Always, Reset): a failure is recorded, not thrown — the caller may be a partition's egress
    /// thread — and every later <see cref="SyncIfDirty"/> (the writer's gate before the socket) throws it.
    /// </summary>
    private bool TrySyncLocked(SafeFileHandle handle, string path)
    {
        if (_fault is not null) return false;
        try
        {
            DataSyncCounted(handle, path);
            return true;
        }
        catch (IOException ex)
        {
            _fault = ex;
            FixLog.StoreSyncFailed(_logger, _name, ex);
            return false;
        }
    }

    /// <summary>
    /// Tests only: called with the file's path before each fdatasync; throwing an <see cref="IOException"/> from it
    /// stands for a failing disk (EIO) and goes down the same path as a real failure.
    /// </summary>
    internal Action<string>? SyncObserver { get; set; }

    private void DataSyncCounted(SafeFileHandle handle, string path)
    {
        SyncObserver?.Invoke(path);
        FixFileSync.DataSync(handle, path);
        Interlocked.Increment(ref _syncCount);
        GatewayMetrics.FixStoreSyncs.Add(1);
    }

    public void Dispose()
    {
        lock (_sync) _closing = true;
        try
        {
            // Numbers and messages written while no session was sending (store and forward) get their sync now.
            if (_fsync == FsyncPolicy.Batch) SyncIfDirty();
        }
        catch (IOException)
        {
            // already logged by SyncIfDirty; closing anyway
        }
        catch (ObjectDisposedException)
        {
            // disposed twice
        }
        lock (_sync)
        {
            _disposed = true;
            _seqHandle.Dispose();
            _messages.Dispose();
        }
    }
}
