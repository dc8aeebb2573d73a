using System.Runtime.InteropServices;
using Wallet.Engine.Audit;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Partition;

public sealed class PartitionEngineTests : IDisposable
{
    private readonly TempDirectory _dir = new("partition");

    public void Dispose() => _dir.Dispose();

    private PartitionFixture Open(Func<PartitionOptions, PartitionOptions>? configure = null) => new(_dir.Path, configure);

    private static void SeedAccounts(PartitionFixture p)
    {
        Assert.All(p.CreateAccounts(Acc(1), Acc(2), Acc(3, flags: AccountFlags.DebitsMustNotExceedCredits)), c => Assert.Equal(ResultCode.Ok, c));
    }

    [Fact]
    public void Transfers_flow_through_journal_and_blp_and_are_answered()
    {
        using PartitionFixture p = Open();
        SeedAccounts(p);

        Assert.Equal([ResultCode.Ok, ResultCode.ExceedsCredits], p.CreateTransfers(Tx(100, 1, 3, 500), Tx(101, 3, 2, 501)));
        Assert.Equal([ResultCode.Ok], p.CreateTransfers(Tx(102, 3, 2, 1)));
        // Idempotent: the same transfer again reports Exists and moves nothing.
        Assert.Equal([ResultCode.Exists], p.CreateTransfers(Tx(100, 1, 3, 500)));

        Account[] accounts = p.LookupAccounts(1, 2, 3, 99);
        Assert.Equal(3, accounts.Length); // 99 does not exist
        Assert.Equal(500, accounts[0].DebitsPosted);
        Assert.Equal(1, accounts[1].CreditsPosted);
        Assert.Equal(500, accounts[2].CreditsPosted);
        Assert.Equal(1, accounts[2].DebitsPosted);
        Assert.Equal(4, p.Engine.JournaledIndex); // lookups are not journaled
    }

    [Fact]
    public void Results_are_pushed_in_log_order_with_increasing_stamps()
    {
        using PartitionFixture p = Open();
        SeedAccounts(p);
        var correlations = new List<long>();
        for (int i = 0; i < 40; i++)
        {
            long c = p.NextCorrelation();
            correlations.Add(c);
            Transfer t = Tx((UInt128)(1000 + i), 1, 2, 1);
            Assert.Equal(SubmitStatus.Accepted, p.Engine.TrySubmit((ushort)CommandKind.CreateTransfers, c, 1, MemoryMarshal.AsBytes(new ReadOnlySpan<Transfer>(in t))));
        }
        long lastIndex = 0, lastTs = 0;
        foreach (long c in correlations)
        {
            CollectedResult r = p.Results.Wait(c);
            Assert.True(r.Index > lastIndex && r.Timestamp > lastTs);
            lastIndex = r.Index;
            lastTs = r.Timestamp;
        }
        Assert.Equal(40, p.LookupAccounts(2)[0].CreditsPosted);
    }

    [Fact]
    public void Submissions_that_cannot_be_taken_are_refused_precisely()
    {
        using PartitionFixture p = Open();
        Assert.Equal(SubmitStatus.TooLarge, p.Engine.TrySubmit((ushort)CommandKind.CreateTransfers, 1, 1, new byte[p.Options.MaxCommandBytes + 1]));
        Assert.Equal(SubmitStatus.UnknownKind, p.Engine.TrySubmit(77, 2, 1, new byte[128]));
        // A malformed payload is journaled and answered with one precise code; nothing is applied.
        CollectedResult r = p.Run((ushort)CommandKind.CreateTransfers, new byte[100]);
        Assert.Equal(ResultCode.MalformedPayload, Assert.Single(r.Results).Code);
        p.Stop();
        Assert.Equal(SubmitStatus.NotRunning, p.Engine.TrySubmit((ushort)CommandKind.Tick, 3, 1, default));
    }

    [Fact]
    public void Large_commands_borrow_pooled_payload_buffers_and_give_them_back_lap_after_lap()
    {
        using PartitionFixture p = Open();
        SeedAccounts(p);
        // 100 transfers = 12,800 B > the 4 KiB a slot keeps for itself; 200 commands go three times round the 64-slot ring.
        for (int c = 0; c < 200; c++)
        {
            var batch = new Transfer[100];
            for (int i = 0; i < batch.Length; i++) batch[i] = Tx((UInt128)(100_000 + (c * 100) + i), 1, 2, 1);
            Assert.All(p.CreateTransfers(batch), code => Assert.Equal(ResultCode.Ok, code));
        }

        Assert.Equal(20_000, p.LookupAccounts(2)[0].CreditsPosted);
        // One command at a time: the same buffer (or two, around a release) serves every lap — for the payloads and
        // for the 100 results each command answers (more than an egress slot's own 64).
        Assert.InRange(p.Engine.Payloads.Allocated, 1, 2);
        Assert.InRange(p.Engine.ResultsPool.Allocated, 1, 2);
    }

    [Fact]
    public void Phased_waits_answer_like_blocking_ones_and_stop_cleanly()
    {
        // Every stage thread on the phased strategy, with budgets short enough that idle gaps between commands reach
        // its blocking fallback: nothing may be lost across the spin → yield → block → wake path.
        using PartitionFixture p = Open(o => new PartitionOptions
        {
            DataDirectory = o.DataDirectory, Ledger = o.Ledger, Clock = o.Clock, Fsync = o.Fsync, JournalSegmentSizeBytes = o.JournalSegmentSizeBytes,
            MaxCommandBytes = o.MaxCommandBytes, SnapshotIntervalCommands = 0, IngressRingSize = 64, EgressRingSize = 64,
            Wait = WaitKind.Phased, WaitSpinNs = 1_000, WaitYieldNs = 1_000,
        });
        SeedAccounts(p);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal([ResultCode.Ok], p.CreateTransfers(Tx((ulong)(7000 + i), 1, 2, 3)));
            if (i % 5 == 0) Thread.Sleep(5); // long enough for every stage to fall asleep
        }
        Assert.Equal([ResultCode.Exists], p.CreateTransfers(Tx(7000, 1, 2, 3)));
        p.Stop();
        Assert.Equal(PartitionState.Stopped, p.Engine.State);
    }

    [Fact]
    public void Preallocated_transfer_tables_hold_the_whole_window_from_the_start_and_change_no_answer()
    {
        int capacity;
        ResultCode[] preallocated;
        using (PartitionFixture p = Open(o => new PartitionOptions
        {
            DataDirectory = o.DataDirectory, Ledger = o.Ledger, Clock = o.Clock, Fsync = o.Fsync, JournalSegmentSizeBytes = o.JournalSegmentSizeBytes,
            MaxCommandBytes = o.MaxCommandBytes, SnapshotIntervalCommands = 0, IngressRingSize = 64, EgressRingSize = 64, Wait = WaitKind.Blocking,
            PreallocateTransfers = true,
        }))
        {
            // Window + one batch + pending: 16,384 + 256 + 256 slots, allocated before the first command.
            capacity = p.Engine.TransferCapacityAtStart;
            Assert.Equal(o(p).Ledger.TransferRetentionCount + o(p).Ledger.MaxBatchSize + o(p).Ledger.MaxPendingTransfers, capacity);
            SeedAccounts(p);
            preallocated = p.CreateTransfers(Tx(9001, 1, 2, 5), Tx(9001, 1, 2, 6), Tx(9002, 2, 1, 1));
            p.Stop();
        }

        foreach (string f in Directory.GetFiles(_dir.Path)) File.Delete(f);
        using PartitionFixture q = Open();
        Assert.True(q.Engine.TransferCapacityAtStart < capacity, $"without preallocation the slab starts small ({q.Engine.TransferCapacityAtStart})");
        SeedAccounts(q);
        Assert.Equal(preallocated, q.CreateTransfers(Tx(9001, 1, 2, 5), Tx(9001, 1, 2, 6), Tx(9002, 2, 1, 1)));

        static PartitionOptions o(PartitionFixture f) => f.Options;
    }

    [Fact]
    public void Full_ring_answers_busy_and_every_accepted_command_is_still_applied()
    {
        using PartitionFixture p = Open(o => new PartitionOptions
        {
            DataDirectory = o.DataDirectory, Ledger = o.Ledger, Clock = o.Clock, Fsync = o.Fsync,
            JournalSegmentSizeBytes = o.JournalSegmentSizeBytes, MaxCommandBytes = o.MaxCommandBytes, SnapshotIntervalCommands = 0,
            IngressRingSize = 8, EgressRingSize = 4, Wait = WaitKind.Blocking,
        });
        SeedAccounts(p);
        p.Results.Close(); // the egress consumer stalls: egress fills, the BLP stalls, then ingress fills

        var accepted = new List<long>();
        SubmitStatus last = SubmitStatus.Accepted;
        for (int i = 0; i < 10_000 && last == SubmitStatus.Accepted; i++)
        {
            long c = p.NextCorrelation();
            Transfer t = Tx((UInt128)(5000 + i), 1, 2, 1);
            last = p.Engine.TrySubmit((ushort)CommandKind.CreateTransfers, c, 1, MemoryMarshal.AsBytes(new ReadOnlySpan<Transfer>(in t)));
            if (last == SubmitStatus.Accepted) accepted.Add(c);
            else Assert.Equal(SubmitStatus.Busy, last);
            if (i % 4 == 3) Thread.Sleep(1); // let the pipeline reach its stall point
        }
        Assert.Equal(SubmitStatus.Busy, last);
        Assert.InRange(accepted.Count, 1, 64);

        p.Results.Open();
        foreach (long c in accepted) Assert.Equal(ResultCode.Ok, Assert.Single(p.Results.Wait(c).Results).Code);
        Assert.Equal(accepted.Count, p.LookupAccounts(2)[0].CreditsPosted);
    }

    [Fact]
    public void Restart_replays_the_journal_and_keeps_every_acknowledged_transfer()
    {
        UInt128 digest;
        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            for (int i = 0; i < 30; i++) Assert.Equal(ResultCode.Ok, p.CreateTransfers(Tx((UInt128)(100 + i), 1, 2, 10 + i))[0]);
            digest = p.Digest();
            Assert.True(p.Stop(snapshot: false));
        }

        using PartitionFixture again = Open();
        Assert.Null(again.Engine.Recovery.Snapshot);
        Assert.Equal(31, again.Engine.Recovery.ReplayedCommands);
        Assert.Equal(digest, again.Digest());
        Assert.Equal([ResultCode.Exists], again.CreateTransfers(Tx(100, 1, 2, 10)));
        Assert.Equal(30 * 10 + (29 * 30 / 2), again.LookupAccounts(2)[0].CreditsPosted);
    }

    [Fact]
    public void Restart_uses_newest_snapshot_plus_tail_and_falls_back_past_a_corrupt_one()
    {
        UInt128 digest;
        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            for (int i = 0; i < 10; i++) p.CreateTransfers(Tx((UInt128)(100 + i), 1, 2, 1));
            TakeSnapshot(p);                                       // at index 11
            for (int i = 0; i < 10; i++) p.CreateTransfers(Tx((UInt128)(200 + i), 2, 1, 1));
            TakeSnapshot(p);                                       // at index 21
            for (int i = 0; i < 5; i++) p.CreateTransfers(Tx((UInt128)(300 + i), 1, 2, 3));
            digest = p.Digest();
            Assert.True(p.Stop(snapshot: false));
        }

        using (PartitionFixture p = Open())
        {
            Assert.Equal(21, p.Engine.Recovery.Snapshot!.Header.Index);
            Assert.Equal(5, p.Engine.Recovery.ReplayedCommands);
            Assert.Equal(digest, p.Digest());
            Assert.True(p.Stop(snapshot: false));
        }

        // Corrupt the newest snapshot's payload: recovery must say so and use the one before.
        string newest = Directory.GetFiles(_dir.Path, "snapshot-*.snap").Max()!;
        byte[] bytes = File.ReadAllBytes(newest);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(newest, bytes);

        using PartitionFixture q = Open();
        Assert.Equal(11, q.Engine.Recovery.Snapshot!.Header.Index);
        Assert.Equal(newest, Assert.Single(q.Engine.Recovery.RejectedSnapshots).FilePath);
        Assert.Equal(15, q.Engine.Recovery.ReplayedCommands);
        Assert.Equal(digest, q.Digest());
    }

    [Fact]
    public void Graceful_stop_takes_a_final_snapshot_so_restart_replays_nothing()
    {
        UInt128 digest;
        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            p.CreateTransfers(Tx(100, 1, 2, 5));
            digest = p.Digest();
            Assert.True(p.Stop(snapshot: true));
            Assert.Equal(2, p.Engine.LastSnapshotIndex);
        }
        using PartitionFixture again = Open();
        Assert.Equal(2, again.Engine.Recovery.Snapshot!.Header.Index);
        Assert.Equal(0, again.Engine.Recovery.ReplayedCommands);
        Assert.Equal(digest, again.Digest());
    }

    [Fact]
    public void Event_journal_has_one_record_per_command_and_is_regenerated_when_lost()
    {
        byte[][] original;
        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            p.CreateTransfers(Tx(100, 1, 2, 7), Tx(101, 2, 1, 3, flags: TransferFlags.Pending, timeoutSeconds: 1));
            p.CreateTransfers(Tx(102, 1, 2, 0)); // fails: no events, still a record
            p.CreateTransfers(Post(103, 101, 2));
            Assert.True(p.Stop(snapshot: false));
        }
        original = ReadEvents();
        Assert.Equal(4, original.Length);
        ReadOnlySpan<LedgerEventEntry> created = LedgerEventEntry.Parse(original[0]);
        Assert.Equal(3, created.Length);
        Assert.Equal(LedgerEventKind.AccountCreated, created[0].Kind);
        ReadOnlySpan<LedgerEventEntry> second = LedgerEventEntry.Parse(original[1]);
        Assert.Equal([LedgerEventKind.TransferPosted, LedgerEventKind.PendingCreated], [second[0].Kind, second[1].Kind]);
        Assert.Equal(7, second[0].DebitAfter.DebitsPosted);
        Assert.Equal(7, second[0].CreditAfter.CreditsPosted);
        Assert.Empty(LedgerEventEntry.Parse(original[2]).ToArray());
        LedgerEventEntry post = Assert.Single(LedgerEventEntry.Parse(original[3]).ToArray());
        Assert.Equal(LedgerEventKind.PendingPosted, post.Kind);
        Assert.Equal((UInt128)101, post.PendingId);

        foreach (string f in Directory.GetFiles(_dir.Path, "events-*")) File.Delete(f);
        using (PartitionFixture p = Open())
        {
            Assert.Equal(4, p.Engine.Recovery.RegeneratedEventRecords);
            Assert.True(p.Stop(snapshot: false));
        }
        byte[][] regenerated = ReadEvents();
        Assert.Equal(original.Length, regenerated.Length);
        for (int i = 0; i < original.Length; i++) Assert.Equal(original[i], regenerated[i]);
    }

    [Fact]
    public void Events_written_in_place_match_regenerated_events_for_expiries_chains_and_resolutions()
    {
        // The BLP writes events straight into a reservation sized for items + outstanding holds; recovery regenerates
        // them through the buffered sink. Both must give the same bytes, including expiries (which come before a
        // command's items), rolled-back chains (no events) and post/void resolutions.
        byte[][] original;
        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            p.CreateTransfers(
                Tx(200, 1, 2, 5, flags: TransferFlags.Pending, timeoutSeconds: 1),
                Tx(201, 2, 1, 4, flags: TransferFlags.Pending, timeoutSeconds: 1),
                Tx(202, 1, 2, 3, flags: TransferFlags.Pending),
                Tx(203, 2, 1, 2, flags: TransferFlags.Pending));
            // A failing chain (second link over-debits account 3) leaves no events; the linked chain after it commits two.
            p.CreateTransfers(
                Tx(210, 1, 2, 1, flags: TransferFlags.Linked), Tx(211, 3, 2, 1_000_000),
                Tx(212, 1, 2, 1, flags: TransferFlags.Linked), Tx(213, 2, 1, 1));
            p.Clock.Advance(2_000_000_000); // the 1 s holds expire at the start of the next command
            Assert.Equal([ResultCode.Ok, ResultCode.Ok, ResultCode.PendingTransferExpired],
                p.CreateTransfers(Post(220, 202), Void(221, 203), Post(222, 200)));
            Assert.True(p.Stop(snapshot: false));
        }
        original = ReadEvents();
        LedgerEventEntry[] last = LedgerEventEntry.Parse(original[^1]).ToArray();
        Assert.Equal([LedgerEventKind.PendingExpired, LedgerEventKind.PendingExpired, LedgerEventKind.PendingPosted, LedgerEventKind.PendingVoided],
            last.Select(e => e.Kind).ToArray());
        Assert.Equal(2, LedgerEventEntry.Parse(original[^2]).Length);

        foreach (string f in Directory.GetFiles(_dir.Path, "events-*")) File.Delete(f);
        using (PartitionFixture p = Open())
        {
            Assert.Equal(original.Length, p.Engine.Recovery.RegeneratedEventRecords);
            Assert.True(p.Stop(snapshot: false));
        }
        byte[][] regenerated = ReadEvents();
        Assert.Equal(original.Length, regenerated.Length);
        for (int i = 0; i < original.Length; i++) Assert.Equal(original[i], regenerated[i]);
    }

    [Fact]
    public void Replay_reproduces_the_state_at_any_past_index_and_time()
    {
        var digests = new List<(long Index, long Timestamp, UInt128 Digest, long Balance)>();
        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            for (int i = 0; i < 12; i++)
            {
                p.Clock.Advance(1_000_000_000);
                CollectedResult r = p.Run((ushort)CommandKind.CreateTransfers, Bytes(Tx((UInt128)(100 + i), 1, 2, i + 1)));
                if (i == 6) TakeSnapshot(p);
                digests.Add((r.Index, r.Timestamp, p.Digest(), p.LookupAccounts(2)[0].CreditsPosted));
            }
            Assert.True(p.Stop(snapshot: false));
        }

        LedgerOptions ledger = new PartitionFixture.OptionsOnly(_dir.Path).Ledger;
        foreach ((long index, long timestamp, UInt128 digest, long balance) in digests)
        {
            Assert.Equal(digest, LedgerReplay.Replay(_dir.Path, ledger, ReplayTarget.AtIndex(index)).Ledger.ComputeDigest());
            Assert.Equal(digest, LedgerReplay.Replay(_dir.Path, ledger, ReplayTarget.AtIndex(index), useSnapshots: false).Ledger.ComputeDigest());
            ReplayResult atTime = LedgerReplay.Replay(_dir.Path, ledger, ReplayTarget.AtTime(timestamp));
            Assert.Equal(index, atTime.LastIndex);
            Assert.Equal(digest, atTime.Ledger.ComputeDigest());
            Assert.True(LedgerReplay.TryGetAccountAt(_dir.Path, ledger, 2, ReplayTarget.AtTime(timestamp + 999_999_999), out Account a));
            Assert.Equal(balance, a.CreditsPosted);
        }
        // Before the accounts existed.
        Assert.False(LedgerReplay.TryGetAccountAt(_dir.Path, ledger, 2, ReplayTarget.AtIndex(0), out _));
    }

    [Fact]
    public void Audit_finds_a_tampered_journal_record_and_restart_refuses_it()
    {
        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            for (int i = 0; i < 20; i++) p.CreateTransfers(Tx((UInt128)(100 + i), 1, 2, 1));
            Assert.True(p.Stop(snapshot: false));
        }
        Assert.True(DataDirectoryAudit.Verify(_dir.Path).Ok);

        string segment = Directory.GetFiles(_dir.Path, "commands-*").Single();
        using (var f = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite))
        {
            // Somewhere inside an early record (past the segment header): change an amount byte.
            f.Position = 2048;
            int b = f.ReadByte();
            f.Position = 2048;
            f.WriteByte((byte)(b ^ 0x01));
        }

        AuditReport report = DataDirectoryAudit.Verify(_dir.Path);
        Assert.False(report.Ok);
        AuditFinding bad = report.Findings.First(x => !x.Ok);
        Assert.Equal(segment, bad.FilePath);
        Assert.True(bad.Offset <= 2048);

        var ex = Assert.Throws<JournalCorruptException>(() => Open());
        Assert.Equal(segment, ex.FilePath);
    }

    [Fact]
    public void A_restart_from_a_snapshot_does_not_read_the_journal_before_it_and_a_replay_through_a_bad_record_refuses()
    {
        UInt128 digest;
        using (PartitionFixture p = Open(o => WithValidation(o, JournalOpenValidation.LastSegment)))
        {
            SeedAccounts(p);
            var batch = new Transfer[200];
            for (int c = 0; c < 8; c++)
            {
                for (int i = 0; i < batch.Length; i++) batch[i] = Tx((UInt128)(1000 + c * 1000 + i), 1, 2, 1);
                Assert.All(p.CreateTransfers(batch), r => Assert.Equal(ResultCode.Ok, r));
            }
            TakeSnapshot(p);                                        // at index 9
            p.CreateTransfers(Tx(50, 2, 1, 7));
            digest = p.Digest();
            Assert.True(p.Stop(snapshot: false));
        }

        string[] segments = Directory.GetFiles(_dir.Path, "commands-*").Order(StringComparer.Ordinal).ToArray();
        Assert.True(segments.Length >= 3, $"{segments.Length} command segments");
        using (var f = new FileStream(segments[0], FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 20_000; // inside a transfer command the snapshot covers
            int b = f.ReadByte();
            f.Position = 20_000;
            f.WriteByte((byte)(b ^ 0x01));
        }
        AuditFinding bad = DataDirectoryAudit.Verify(_dir.Path).Findings.First(x => !x.Ok);
        Assert.Equal(segments[0], bad.FilePath);

        // Default (LastSegment): the state comes from the snapshot and the tail after it; the bad record is not read.
        using (PartitionFixture p = Open())
        {
            Assert.Equal(9, p.Engine.Recovery.Snapshot!.Header.Index);
            Assert.Equal(1, p.Engine.Recovery.ReplayedCommands);
            Assert.Equal(digest, p.Digest());
            Assert.True(p.Stop(snapshot: false));
        }

        // AllRecords: the open reads every record and refuses.
        var all = Assert.Throws<JournalCorruptException>(() => Open(o => WithValidation(o, JournalOpenValidation.AllRecords)));
        Assert.Equal((segments[0], bad.Offset), (all.FilePath, all.Offset));

        // Without the snapshot a restart replays from genesis, through the bad record: refused at the same place.
        foreach (string snapshot in Directory.GetFiles(_dir.Path, "snapshot-*.snap")) File.Delete(snapshot);
        var replay = Assert.Throws<JournalCorruptException>(() => Open());
        Assert.Equal((segments[0], bad.Offset), (replay.FilePath, replay.Offset));
    }

    private static PartitionOptions WithValidation(PartitionOptions o, JournalOpenValidation validation) => new()
    {
        DataDirectory = o.DataDirectory, Ledger = o.Ledger, IngressRingSize = o.IngressRingSize, EgressRingSize = o.EgressRingSize,
        JournalSegmentSizeBytes = 64 << 10, MaxCommandBytes = 32 << 10, Fsync = o.Fsync, SnapshotIntervalCommands = 0,
        Wait = o.Wait, Clock = o.Clock, JournalOpenValidation = validation,
    };

    [Fact]
    public void Journal_retention_deletes_only_segments_every_kept_snapshot_covers()
    {
        Func<PartitionOptions, PartitionOptions> small = o => new PartitionOptions
        {
            DataDirectory = o.DataDirectory, Ledger = o.Ledger, Clock = o.Clock, Fsync = o.Fsync,
            JournalSegmentSizeBytes = 128 << 10, MaxCommandBytes = 32 << 10, SnapshotIntervalCommands = 0,
            IngressRingSize = 64, EgressRingSize = 64, SnapshotRetainCount = 2,
            JournalRetention = JournalRetention.BeforeOldestSnapshot,
        };
        UInt128 digest;
        using (PartitionFixture p = Open(small))
        {
            SeedAccounts(p);
            var batch = new Transfer[100];
            ulong id = 1000;
            for (int round = 0; round < 4; round++)
            {
                for (int c = 0; c < 10; c++)
                {
                    for (int i = 0; i < batch.Length; i++) batch[i] = Tx(id++, 1, 2, 1);
                    p.CreateTransfers(batch); // ~12.8 KB per command: a 128 KiB segment holds ~9
                }
                TakeSnapshot(p);
            }
            p.Digest(); // one more batch end for the sequencer to act on the last signal
            p.CreateTransfers(Tx(id++, 1, 2, 1));
            digest = p.Digest();
            Assert.True(p.Stop(snapshot: false));
        }
        string[] snapshots = Directory.GetFiles(_dir.Path, "snapshot-*.snap");
        Assert.Equal(2, snapshots.Length);
        using (var commands = Wallet.Engine.Journal.Journal.OpenReadOnly(new JournalOptions { Directory = _dir.Path, FilePrefix = PartitionEngine.CommandJournalPrefix }))
        {
            Assert.True(commands.FirstIndex > 1, "old segments were deleted");
            long oldestSnapshot = snapshots.Select(f => long.Parse(Path.GetFileName(f)[9..29], System.Globalization.CultureInfo.InvariantCulture)).Min();
            Assert.True(commands.FirstIndex <= oldestSnapshot + 1, "every kept snapshot can still be rolled forward");
        }
        Assert.True(DataDirectoryAudit.Verify(_dir.Path).Ok);

        // Restart still works, even when the newest snapshot is bad (falls back to the older one + tail).
        string newest = snapshots.Max()!;
        File.WriteAllBytes(newest, [1, 2, 3]);
        using PartitionFixture again = Open(small);
        Assert.Equal(digest, again.Digest());
    }

    private sealed class ThrowingHandler : IPartitionResultHandler
    {
        public void OnResult(ref ResultSlot result, bool endOfBatch) => throw new InvalidOperationException("handler bug");
    }

    [Fact]
    public void A_failing_stage_stops_the_partition_fatally_and_refuses_new_work()
    {
        var options = new PartitionOptions
        {
            DataDirectory = _dir.Path, Ledger = PartitionFixture.OptionsOnlyLedger(), Clock = new ManualClock(Wallet.Engine.Tests.Ledger.LedgerHarness.StartTimestamp),
            Fsync = FsyncPolicy.None, JournalSegmentSizeBytes = 1 << 20, MaxCommandBytes = 64 << 10, SnapshotIntervalCommands = 0,
            IngressRingSize = 4, EgressRingSize = 2,
        };
        using PartitionEngine engine = PartitionEngine.Start(options, new ThrowingHandler());
        Account a = Acc(1);
        for (int i = 0; i < 50 && engine.State == PartitionState.Running; i++)
        {
            engine.TrySubmit((ushort)CommandKind.CreateAccounts, i, 1, MemoryMarshal.AsBytes(new ReadOnlySpan<Account>(in a)));
            Thread.Sleep(2);
        }
        long deadline = Environment.TickCount64 + 10_000;
        while (engine.State != PartitionState.Failed && Environment.TickCount64 < deadline) Thread.Sleep(5);
        Assert.Equal(PartitionState.Failed, engine.State);
        Assert.IsType<InvalidOperationException>(engine.Failure?.InnerException ?? engine.Failure);
        Assert.Equal(SubmitStatus.NotRunning, engine.TrySubmit((ushort)CommandKind.Tick, 99, 1, default));
        long start = Environment.TickCount64;
        engine.Stop(TimeSpan.FromSeconds(5));
        Assert.True(Environment.TickCount64 - start < 10_000, "stop is bounded even when a stage died");
    }

    [Fact]
    public void Stop_of_an_idle_or_already_snapshotted_partition_is_prompt_and_writes_nothing_new()
    {
        using (PartitionFixture empty = Open())
        {
            long start = Environment.TickCount64;
            Assert.True(empty.Stop(snapshot: true));
            Assert.True(Environment.TickCount64 - start < 5_000, "nothing to snapshot at index 0: no waiting");
        }
        Assert.Empty(Directory.GetFiles(_dir.Path, "snapshot-*"));

        using (PartitionFixture p = Open())
        {
            SeedAccounts(p);
            Assert.True(p.Stop(snapshot: true));
        }
        DateTime written = File.GetLastWriteTimeUtc(Assert.Single(Directory.GetFiles(_dir.Path, "snapshot-*")));
        using (PartitionFixture again = Open())
        {
            Assert.Equal(1, again.Engine.LastSnapshotIndex); // recovered from it
            Assert.True(again.Stop(snapshot: true));
        }
        Assert.Equal(written, File.GetLastWriteTimeUtc(Assert.Single(Directory.GetFiles(_dir.Path, "snapshot-*"))));
    }

    private static byte[] Bytes(Transfer t) => MemoryMarshal.AsBytes(new ReadOnlySpan<Transfer>(in t)).ToArray();

    private static void TakeSnapshot(PartitionFixture p)
    {
        long target = p.Engine.AppliedIndex;
        p.Engine.RequestSnapshot();
        p.Digest(); // a batch end for the BLP to serve the request at
        long deadline = Environment.TickCount64 + 10_000;
        while (p.Engine.LastSnapshotIndex < target)
        {
            Assert.True(Environment.TickCount64 < deadline, "snapshot not written in 10 s");
            Thread.Sleep(5);
        }
    }

    private byte[][] ReadEvents()
    {
        using Wallet.Engine.Journal.Journal events = Wallet.Engine.Journal.Journal.OpenReadOnly(new JournalOptions { Directory = _dir.Path, FilePrefix = PartitionEngine.EventJournalPrefix });
        var list = new List<byte[]>();
        using JournalReader reader = events.OpenReader(events.FirstIndex);
        while (reader.TryRead(out JournalRecord r)) list.Add(r.Payload.ToArray());
        return list.ToArray();
    }
}
