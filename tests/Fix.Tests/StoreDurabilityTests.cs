using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Wallet.Engine.Journal;
using Wallet.Fix.Tests.Support;
using Wallet.Gateway.Fix;

namespace Wallet.Fix.Tests;

/// <summary>
/// The store after a power cut: the seqnums slots (a torn write never loses the last synced numbers), the recovery
/// rule (never below a stored message), the legacy format, and how many syncs each Fix:Fsync policy issues.
/// </summary>
public sealed class StoreDurabilityTests : IDisposable
{
    private const int SlotStride = 4096;
    private readonly TempDirectory _dir = new("fix-durability");

    public void Dispose() => _dir.Dispose();

    private string SeqPath => Path.Combine(_dir.Path, "W-P.seqnums");
    private string MessagesPath => Path.Combine(_dir.Path, "W-P.messages");

    private FixSessionStore Open(FsyncPolicy fsync, ILogger? logger = null) => new(_dir.Path, "W-P", 64, 1200, fsync, logger);

    private static byte[] Body(int seq) => System.Text.Encoding.ASCII.GetBytes($"5001={seq}\u0001");

    /// <summary>Takes <paramref name="count"/> numbers, storing each as an application message.</summary>
    private static void SendApplication(FixSessionStore s, int count)
    {
        for (int i = 0; i < count; i++)
        {
            int seq = s.TakeSenderSeq();
            s.Append(seq, seq, "UR"u8, Body(seq));
        }
    }

    /// <summary>Reads the file while the store still has it open (what the disk would hold if the power went now).</summary>
    private static byte[] ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[f.Length];
        f.ReadExactly(bytes);
        return bytes;
    }

    private static ulong Generation(byte[] file, int slot) =>
        file.Length >= slot * SlotStride + 20 ? BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(slot * SlotStride)) : 0;

    private static int NewestSlot(byte[] file)
    {
        int best = 0;
        for (int k = 1; k < 3; k++)
        {
            if (Generation(file, k) > Generation(file, best)) best = k;
        }
        return best;
    }

    private static byte[] Slot(byte[] file, int slot) =>
        file.Length >= slot * SlotStride + 20 ? file.AsSpan(slot * SlotStride, 20).ToArray() : [];

    [Fact]
    public void Stale_seqnums_behind_the_messages_file_never_reuse_a_sent_number()
    {
        using (FixSessionStore s = Open(FsyncPolicy.None)) SendApplication(s, 3);
        byte[] stale = File.ReadAllBytes(SeqPath); // says next outgoing 4
        using (FixSessionStore s = Open(FsyncPolicy.None))
        {
            SendApplication(s, 3); // 4..6 reach the messages file...
            s.SetNextTargetSeq(9);
        }
        File.WriteAllBytes(SeqPath, stale); // ...but the seqnums writes did not reach the disk

        var log = new ListLogger();
        using (FixSessionStore again = Open(FsyncPolicy.Batch, log))
        {
            Assert.Equal(FixStoreRecovery.AdvancedFromMessages, again.Recovery);
            Assert.Equal(7, again.NextSenderSeq); // not 4: 4..6 were sent (and stored) already
            Assert.Equal(1, again.NextTargetSeq); // what the stale file said: incoming messages are re-requested
            Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("says next outgoing MsgSeqNum 4 but 6 is already stored", StringComparison.Ordinal)
                && l.Message.Contains("continuing at 7", StringComparison.Ordinal));
        }
        using FixSessionStore repaired = Open(FsyncPolicy.Batch);
        Assert.Equal(FixStoreRecovery.Clean, repaired.Recovery); // the repair was written (and synced) at open
        Assert.Equal(7, repaired.NextSenderSeq);
    }

    [Fact]
    public void Seqnums_failing_the_checksum_in_every_slot_are_derived_from_the_messages_file_with_a_warning()
    {
        using (FixSessionStore s = Open(FsyncPolicy.Batch))
        {
            SendApplication(s, 2);
            s.TakeSenderSeq(); // 3: an admin message, not stored
            s.Append(s.TakeSenderSeq(), 4, "UR"u8, Body(4));
            s.TakeSenderSeq(); // 5: admin
            s.SetNextTargetSeq(17);
        }
        byte[] bytes = File.ReadAllBytes(SeqPath);
        for (int k = 0; k < 3; k++)
        {
            if (bytes.Length >= k * SlotStride + 20) bytes[k * SlotStride + 8] ^= 0x5A; // torn: the numbers changed, the CRC did not
        }
        File.WriteAllBytes(SeqPath, bytes);

        var log = new ListLogger();
        using FixSessionStore again = Open(FsyncPolicy.Batch, log);
        Assert.Equal(FixStoreRecovery.SeqNumsCorrupt, again.Recovery);
        Assert.Equal(5, again.NextSenderSeq); // last stored (4) + 1: never a number a report already went out with
        Assert.Equal(1, again.NextTargetSeq);
        Assert.Equal(3, again.StoredCount);
        (LogLevel level, string message) = Assert.Single(log.Lines, l => l.Message.Contains("fails its checksum in every slot", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains(SeqPath, message, StringComparison.Ordinal);
        Assert.Contains("last stored 4", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_seqnums_file_without_messages_restarts_at_one_but_not_silently()
    {
        using (FixSessionStore s = Open(FsyncPolicy.None)) s.TakeSenderSeq();
        File.WriteAllBytes(SeqPath, new byte[100]);
        var log = new ListLogger();
        using FixSessionStore again = Open(FsyncPolicy.None, log);
        Assert.Equal(FixStoreRecovery.SeqNumsCorrupt, again.Recovery);
        Assert.Equal(1, again.NextSenderSeq);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(SeqPath, StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_seqnums_file_next_to_stored_messages_is_recovered_from_them()
    {
        using (FixSessionStore s = Open(FsyncPolicy.Batch)) SendApplication(s, 5);
        File.Delete(SeqPath);
        var log = new ListLogger();
        using FixSessionStore again = Open(FsyncPolicy.Batch, log);
        Assert.Equal(FixStoreRecovery.SeqNumsMissing, again.Recovery);
        Assert.Equal(6, again.NextSenderSeq);
        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains("is missing or empty", StringComparison.Ordinal));
    }

    [Fact]
    public void A_fresh_store_and_a_clean_reopen_log_nothing()
    {
        var log = new ListLogger();
        using (FixSessionStore s = Open(FsyncPolicy.Batch, log))
        {
            Assert.Equal(FixStoreRecovery.New, s.Recovery);
            SendApplication(s, 2);
        }
        using FixSessionStore again = Open(FsyncPolicy.Batch, log);
        Assert.Equal(FixStoreRecovery.Clean, again.Recovery);
        Assert.Equal(3, again.NextSenderSeq);
        Assert.Empty(log.Lines);
    }

    [Fact]
    public void Writes_never_touch_the_slot_holding_the_last_synced_numbers()
    {
        using FixSessionStore s = Open(FsyncPolicy.Batch);
        for (int round = 0; round < 4; round++)
        {
            s.TakeSenderSeq();
            s.SetNextTargetSeq(round + 10);
            Assert.True(s.SyncIfDirty());
            byte[] synced = ReadShared(SeqPath);
            int durable = NewestSlot(synced);
            byte[] durableBytes = Slot(synced, durable);

            for (int i = 0; i < 50; i++) s.TakeSenderSeq(); // not synced yet
            byte[] now = ReadShared(SeqPath);
            Assert.Equal(durableBytes, Slot(now, durable));
            Assert.NotEqual(durable, NewestSlot(now));
        }
    }

    [Fact]
    public void A_torn_write_of_the_newest_slot_falls_back_to_the_last_synced_numbers()
    {
        byte[] powerCut;
        using (FixSessionStore s = Open(FsyncPolicy.Batch))
        {
            for (int i = 0; i < 3; i++) s.TakeSenderSeq();
            s.SetNextTargetSeq(8);
            s.SyncIfDirty(); // durable: next out 4, next in 8
            for (int i = 0; i < 3; i++) s.TakeSenderSeq(); // in the page cache only: never sent (batch), so losing them is harmless
            powerCut = ReadShared(SeqPath);
        }
        int torn = NewestSlot(powerCut);
        powerCut[torn * SlotStride + 9] ^= 0xFF; // the power went mid-writeback of that slot
        File.WriteAllBytes(SeqPath, powerCut);

        var log = new ListLogger();
        using FixSessionStore again = Open(FsyncPolicy.Batch, log);
        Assert.Equal(FixStoreRecovery.Clean, again.Recovery);
        Assert.Equal(4, again.NextSenderSeq);
        Assert.Equal(8, again.NextTargetSeq);
    }

    [Fact]
    public void The_previous_12_byte_seqnums_format_is_still_read_and_kept_until_a_newer_slot_is_synced()
    {
        var legacy = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(legacy, 70);
        BinaryPrimitives.WriteInt32LittleEndian(legacy.AsSpan(4), 9);
        BinaryPrimitives.WriteUInt32LittleEndian(legacy.AsSpan(8), TestCrc32C.Compute(legacy.AsSpan(0, 8)));
        File.WriteAllBytes(SeqPath, legacy);
        using (FixSessionStore s = Open(FsyncPolicy.Batch))
        {
            Assert.Equal(FixStoreRecovery.Clean, s.Recovery);
            Assert.Equal(70, s.NextSenderSeq);
            Assert.Equal(9, s.NextTargetSeq);
            Assert.Equal(70, s.TakeSenderSeq());
            Assert.Equal(legacy, ReadShared(SeqPath).AsSpan(0, 12).ToArray()); // the only durable record is not overwritten
        }
        using FixSessionStore again = Open(FsyncPolicy.Batch);
        Assert.Equal(71, again.NextSenderSeq);
        Assert.Equal(9, again.NextTargetSeq);
    }

    [Fact]
    public void None_never_syncs()
    {
        using FixSessionStore s = Open(FsyncPolicy.None);
        Assert.Equal(0, s.SyncCount);
        SendApplication(s, 10);
        s.SetNextTargetSeq(5);
        Assert.False(s.SyncIfDirty());
        Assert.False(s.IsDirty);
        Assert.Equal(0, s.SyncCount);
    }

    [Fact]
    public void Batch_syncs_once_per_file_per_flush_and_only_when_dirty()
    {
        using FixSessionStore s = Open(FsyncPolicy.Batch);
        long opened = s.SyncCount; // open makes the (new) files and their directory entries durable
        SendApplication(s, 10);
        s.SetNextTargetSeq(5);
        Assert.Equal(opened, s.SyncCount); // nothing per message
        Assert.True(s.IsDirty);
        Assert.True(s.SyncIfDirty());
        Assert.Equal(opened + 2, s.SyncCount); // one fdatasync per file covers all ten messages
        Assert.False(s.IsDirty);
        Assert.False(s.SyncIfDirty());
        Assert.Equal(opened + 2, s.SyncCount);

        s.TakeSenderSeq(); // a heartbeat: the seqnums file only
        Assert.True(s.SyncIfDirty());
        Assert.Equal(opened + 3, s.SyncCount);
        s.SetNextTargetSeq(6); // an incoming message: its number must be durable before we answer it
        Assert.True(s.SyncIfDirty());
        Assert.Equal(opened + 4, s.SyncCount);
    }

    [Fact]
    public void Always_syncs_every_write_before_it_returns()
    {
        using FixSessionStore s = Open(FsyncPolicy.Always);
        long opened = s.SyncCount;
        int seq = s.TakeSenderSeq();
        Assert.Equal(opened + 1, s.SyncCount);
        s.Append(seq, 1, "UR"u8, Body(seq));
        Assert.Equal(opened + 2, s.SyncCount);
        s.SetNextTargetSeq(2);
        Assert.Equal(opened + 3, s.SyncCount);
        s.SetNextTargetSeq(2); // unchanged: nothing written
        Assert.Equal(opened + 3, s.SyncCount);
        Assert.False(s.IsDirty);
        Assert.False(s.SyncIfDirty());
    }

    [Fact]
    public void Reset_makes_the_emptied_messages_file_durable_before_the_numbers_restart()
    {
        var order = new List<string>();
        using (FixSessionStore s = Open(FsyncPolicy.Batch))
        {
            SendApplication(s, 5);
            s.SyncIfDirty();
            s.SyncObserver = order.Add;
            s.Reset();
            Assert.Equal([MessagesPath], order); // the truncation, synced inline
            Assert.True(s.IsDirty); // the numbers: synced before the Logon answering the reset leaves
            s.SyncIfDirty();
            Assert.Equal([MessagesPath, SeqPath], order);
        }
        using FixSessionStore again = Open(FsyncPolicy.Batch);
        Assert.Equal(FixStoreRecovery.Clean, again.Recovery);
        Assert.Equal(1, again.NextSenderSeq); // the old day's stored messages do not resurrect their numbers
        Assert.Equal(0, again.StoredCount);
    }

    [Fact]
    public void A_failed_sync_is_remembered_and_every_later_sync_refuses()
    {
        using FixSessionStore s = Open(FsyncPolicy.Batch);
        s.SyncObserver = _ => throw new IOException("simulated EIO");
        s.TakeSenderSeq();
        Assert.Throws<IOException>(() => s.SyncIfDirty());
        s.SyncObserver = null;
        IOException again = Assert.Throws<IOException>(() => s.SyncIfDirty()); // the pages may be gone: never "fixed" by retrying
        Assert.Contains("an earlier fdatasync failed", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_sync_under_always_is_not_thrown_at_the_writer_but_blocks_sending()
    {
        using FixSessionStore s = Open(FsyncPolicy.Always);
        s.SyncObserver = _ => throw new IOException("simulated EIO");
        s.TakeSenderSeq(); // may run on a partition's egress thread: must not throw there
        s.SyncObserver = null;
        Assert.Throws<IOException>(() => s.SyncIfDirty());
    }

    [Fact]
    public void A_compaction_keeps_the_newest_messages_and_numbers_across_a_reopen_under_batch()
    {
        using (FixSessionStore s = Open(FsyncPolicy.Batch))
        {
            SendApplication(s, 200); // capacity 64: compacts twice-ish
            s.SyncIfDirty();
        }
        using FixSessionStore again = Open(FsyncPolicy.Batch);
        Assert.Equal(FixStoreRecovery.Clean, again.Recovery);
        Assert.Equal(201, again.NextSenderSeq);
        Assert.Equal(137, again.NextStoredAtOrAfter(1));
    }

    [Fact]
    public void Under_batch_the_zero_filled_room_ahead_and_a_torn_record_in_it_are_cut_at_open()
    {
        using (FixSessionStore s = Open(FsyncPolicy.Batch)) SendApplication(s, 3);
        byte[] file = File.ReadAllBytes(MessagesPath);
        Assert.True(file.Length >= 1 << 20, "zero-filled ahead");
        int end = Array.FindLastIndex(file, b => b != 0) + 1; // the third record ends here, zeros follow
        file[end - 1] ^= 0xFF; // torn: the power went while its last bytes were being written
        File.WriteAllBytes(MessagesPath, file);

        using (FixSessionStore again = Open(FsyncPolicy.Batch))
        {
            Assert.Equal(2, again.StoredCount);
            Assert.Equal(4, again.NextSenderSeq); // the seqnums (synced at close) still say 4: 3 is never reused
            Assert.True(new FileInfo(MessagesPath).Length < end, "cut after the last good record");
            again.Append(again.TakeSenderSeq(), 4, "UR"u8, Body(4));
        }
        using FixSessionStore third = Open(FsyncPolicy.Batch);
        Assert.Equal(3, third.StoredCount);
        Assert.Equal(4, third.NextStoredAtOrAfter(3));
        Assert.Equal(5, third.NextSenderSeq);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void An_undefined_policy_is_refused_naming_the_setting(int value)
    {
        var options = new FixOptions
        {
            StoreDirectory = _dir.Path,
            Fsync = (FsyncPolicy)value,
            Partners = [new FixPartner("P", "W", "u", "hash", Wallet.Gateway.Auth.Role.Client, [])],
        };
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.StartsWith("Fix:Fsync", ex.Message, StringComparison.Ordinal);
        Assert.Equal(FsyncPolicy.Batch, new FixOptions().Fsync); // the default: durable before it is sent
    }
}
