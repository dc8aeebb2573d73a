using System.Runtime.InteropServices;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Ring;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.Partition;

/// <summary>
/// The consensus seam: under <see cref="PartitionSequencing.External"/> the BLP applies exactly what the driver publishes
/// as committed, never an entry that is only journaled; recovery stops at what is known committed. The test thread plays
/// the consensus module's driver (a majority of one that commits when told to).
/// </summary>
public sealed class ExternalSequencingTests : IDisposable
{
    private readonly TempDirectory _dir = new("external");
    private long _timestampNs = StartTimestamp;

    public void Dispose() => _dir.Dispose();

    private (PartitionEngine Engine, CollectingResultHandler Results) Start(long committedHint = 0, string? directory = null)
    {
        var results = new CollectingResultHandler();
        var options = new PartitionOptions
        {
            DataDirectory = directory ?? _dir.Path,
            Ledger = Options(maxAccounts: 1024, maxBatchSize: 64, maxPending: 64, retentionCount: 1 << 12),
            IngressRingSize = 64,
            EgressRingSize = 64,
            JournalSegmentSizeBytes = 1 << 20,
            MaxCommandBytes = 64 << 10,
            Fsync = FsyncPolicy.None,
            SnapshotIntervalCommands = 0,
            Sequencing = PartitionSequencing.External,
            CommittedIndexHint = committedHint,
        };
        return (PartitionEngine.Start(options, results), results);
    }

    private struct Drain : IPollHandler<CommandSlot>
    {
        public List<(ushort Kind, long Session, long Correlation, byte[] Payload)> Taken;

        public bool OnEvent(ref CommandSlot data, long sequence, bool endOfBatch)
        {
            Taken.Add((data.Kind, data.SessionId, data.CorrelationId, data.PayloadSpan.ToArray()));
            return true;
        }
    }

    private static List<(ushort Kind, long Session, long Correlation, byte[] Payload)> TakeIngress(SequencerPort port)
    {
        var drain = new Drain { Taken = [] };
        port.PollIngress(ref drain);
        return drain.Taken;
    }

    /// <summary>Stamps and journals like a leader would; returns the entry's index and timestamp.</summary>
    private (long Index, long Timestamp) Journal(SequencerPort port, ushort kind, ReadOnlySpan<byte> payload, long term = 1)
    {
        Wallet.Engine.Journal.Journal j = port.CommandJournal;
        _timestampNs += 1_000_000;
        long index = j.LastIndex + 1;
        j.Append(kind, index, term, _timestampNs, payload);
        j.Flush();
        return (index, _timestampNs);
    }

    private static byte[] Bytes<T>(params T[] items) where T : struct => MemoryMarshal.AsBytes(items.AsSpan()).ToArray();

    [Fact]
    public void Only_published_entries_are_applied_and_answered_with_their_session()
    {
        (PartitionEngine engine, CollectingResultHandler results) = Start();
        using (engine)
        {
            SequencerPort port = Assert.IsType<SequencerPort>(engine.Sequencer);
            Assert.Equal(PartitionSequencing.External, engine.Sequencing);
            Assert.Equal(0, port.RecoveredIndex);
            int signals = 0;
            port.SetIngressSignal(() => Interlocked.Increment(ref signals));

            Assert.Equal(SubmitStatus.Accepted, engine.TrySubmit((ushort)CommandKind.CreateAccounts, 11, 5, Bytes(Acc(1), Acc(2))));
            Assert.Equal(1, Volatile.Read(ref signals));
            var taken = TakeIngress(port);
            var cmd = Assert.Single(taken);
            Assert.Equal((11L, 5L), (cmd.Correlation, cmd.Session));

            (long index, long ts) = Journal(port, cmd.Kind, cmd.Payload);
            // Journaled is not committed: the BLP has not seen it.
            Assert.Equal(1, engine.JournaledIndex);
            Thread.Sleep(20);
            Assert.Equal(0, engine.AppliedIndex);
            Assert.Empty(results.Order);

            Assert.True(port.TryPublishCommitted(cmd.Kind, index, 1, ts, cmd.Payload, cmd.Session, cmd.Correlation));
            CollectedResult r = results.Wait(11);
            Assert.Equal(1, r.Index);
            Assert.All(r.Results, c => Assert.Equal(ResultCode.Ok, c.Code));
            Assert.Equal(1, port.PublishedIndex);

            // Order and gaps are the driver's contract; the port refuses a gap rather than let the BLP skip an entry.
            Assert.Throws<InvalidOperationException>(() => port.TryPublishCommitted((ushort)CommandKind.Tick, 3, 1, ts + 10, [], -1, 0));
            Assert.Throws<InvalidOperationException>(() => port.TryPublishCommitted((ushort)CommandKind.Tick, 2, 1, ts, [], -1, 0));

            // Reads go behind what was published; a refusal comes back as NotLeader, empty.
            Assert.True(port.TryPublishQuery(QueryKind.LookupAccounts, 5, 12, Bytes<UInt128>(1, 2)));
            Assert.Equal(2, MemoryMarshal.Cast<byte, Account>(results.Wait(12).Payload).Length);
            Assert.True(port.TryPublishQuery(QueryKind.NotLeader, 5, 13, []));
            CollectedResult refused = results.Wait(13);
            Assert.Equal(QueryKind.NotLeader, refused.Kind);
            Assert.Empty(refused.Payload);
            Assert.Throws<ArgumentOutOfRangeException>(() => port.TryPublishQuery((ushort)CommandKind.Tick, 5, 14, []));
        }
    }

    [Fact]
    public void Recovery_applies_only_what_is_known_committed_and_a_new_leader_may_replace_the_tail()
    {
        long committedTs;
        (PartitionEngine engine, CollectingResultHandler results) = Start();
        using (engine)
        {
            SequencerPort port = engine.Sequencer!;
            (long i1, long t1) = Journal(port, (ushort)CommandKind.CreateAccounts, Bytes(Acc(1), Acc(2)));
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateAccounts, i1, 1, t1, Bytes(Acc(1), Acc(2)), 1, 1));
            results.Wait(1);
            (long i2, committedTs) = Journal(port, (ushort)CommandKind.CreateTransfers, Bytes(Tx(10, 1, 2, 500)));
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateTransfers, i2, 1, committedTs, Bytes(Tx(10, 1, 2, 500)), 1, 2));
            results.Wait(2);
            // Index 3 is journaled on this node but never committed (its leader died before a majority had it).
            Journal(port, (ushort)CommandKind.CreateTransfers, Bytes(Tx(11, 1, 2, 999)));
            Assert.True(engine.Stop(TimeSpan.FromSeconds(10), snapshot: false));
        }

        // Restart knowing nothing: the event journal proves 1..2 were applied (hence committed); 3 stays unapplied.
        (engine, results) = Start(committedHint: 0);
        using (engine)
        {
            SequencerPort port = engine.Sequencer!;
            Assert.Equal(2, port.RecoveredIndex);
            Assert.Equal(2, engine.AppliedIndex);
            Assert.Equal(3, engine.JournaledIndex);

            // The new leader's log differs at 3: the driver cuts the conflicting suffix and appends the leader's entry.
            port.CommandJournal.TruncateAfter(2);
            _timestampNs = committedTs;
            (long i3, long t3) = Journal(port, (ushort)CommandKind.CreateTransfers, Bytes(Tx(12, 2, 1, 200)), term: 2);
            Assert.Equal(3, i3);
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateTransfers, i3, 2, t3, Bytes(Tx(12, 2, 1, 200)), -1, 0));
            Assert.True(port.TryPublishQuery(QueryKind.LookupAccounts, 9, 50, Bytes<UInt128>(1)));
            Account a1 = MemoryMarshal.Cast<byte, Account>(results.Wait(50).Payload)[0];
            // 500 debited by tx 10 (committed), 200 credited by tx 12 (the new leader's), tx 11 never happened.
            Assert.Equal(500L, a1.DebitsPosted);
            Assert.Equal(200L, a1.CreditsPosted);
            Assert.True(engine.Stop(TimeSpan.FromSeconds(10), snapshot: false));
        }

        // A hint from the consensus module (its persisted commit index) lets recovery apply up to it.
        (engine, results) = Start(committedHint: 3);
        using (engine)
        {
            Assert.Equal(3, engine.Sequencer!.RecoveredIndex);
        }
    }

    [Fact]
    public void External_sequencing_allows_journal_retention_and_validates_the_hint()
    {
        var options = new PartitionOptions
        {
            DataDirectory = _dir.Path,
            Ledger = Options(maxAccounts: 1024, maxBatchSize: 64, maxPending: 64, retentionCount: 1 << 12),
            Sequencing = PartitionSequencing.External,
            JournalRetention = JournalRetention.BeforeOldestSnapshot,
        };
        options.Validate(); // the consensus module compacts; a follower behind the cut is sent a snapshot
        Assert.Throws<ArgumentOutOfRangeException>(new PartitionOptions { DataDirectory = _dir.Path, Ledger = options.Ledger, CommittedIndexHint = -1 }.Validate);
    }

    private static long CreditsOf(SequencerPort port, CollectingResultHandler results, UInt128 account, long correlation)
    {
        Assert.True(port.TryPublishQuery(QueryKind.LookupAccounts, 5, correlation, Bytes(account)));
        return MemoryMarshal.Cast<byte, Account>(results.Wait(correlation).Payload)[0].CreditsPosted;
    }

    /// <summary>Leader-side state: accounts at 1, two transfers at 2 and 3; stopped with a snapshot at 3.</summary>
    private (string SnapshotPath, long Timestamp) LeaderSnapshotAt3()
    {
        (PartitionEngine engine, CollectingResultHandler results) = Start();
        long ts;
        using (engine)
        {
            SequencerPort port = engine.Sequencer!;
            (long i1, long t1) = Journal(port, (ushort)CommandKind.CreateAccounts, Bytes(Acc(1), Acc(2)));
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateAccounts, i1, 1, t1, Bytes(Acc(1), Acc(2)), 1, 1));
            (long i2, long t2) = Journal(port, (ushort)CommandKind.CreateTransfers, Bytes(Tx(10, 1, 2, 500)));
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateTransfers, i2, 1, t2, Bytes(Tx(10, 1, 2, 500)), 1, 2));
            (long i3, long t3) = Journal(port, (ushort)CommandKind.CreateTransfers, Bytes(Tx(11, 1, 2, 40)));
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateTransfers, i3, 1, t3, Bytes(Tx(11, 1, 2, 40)), 1, 3));
            results.Wait(3);
            ts = t3;
        }
        var store = new Wallet.Engine.Snapshots.SnapshotStore(_dir.Path, PartitionEngine.SnapshotPrefix);
        Assert.Equal(3, store.ListFiles()[0].Index);
        return (store.PathFor(3), ts);
    }

    private static void Receive(string snapshotPath, string directory)
    {
        // What the consensus module does with a received file: temporary name, then verify + rename.
        var store = new Wallet.Engine.Snapshots.SnapshotStore(directory, PartitionEngine.SnapshotPrefix);
        File.Copy(snapshotPath, store.ReceivePath, overwrite: true);
        Assert.Null(store.InstallReceived(store.ReceivePath, out var header));
        Assert.Equal(3, header.Index);
    }

    [Fact]
    public void A_snapshot_installed_from_the_leader_replaces_the_BLP_state_and_the_log_continues_after_it()
    {
        (string snapshot, long ts3) = LeaderSnapshotAt3();
        using var followerDir = new TempDirectory("external-follower");
        (PartitionEngine engine, CollectingResultHandler results) = Start(directory: followerDir.Path);
        using (engine)
        {
            SequencerPort port = engine.Sequencer!;
            // The follower had only the first entry, then fell behind the leader's compacted log.
            (long i1, long t1) = Journal(port, (ushort)CommandKind.CreateAccounts, Bytes(Acc(1), Acc(2)));
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateAccounts, i1, 1, t1, Bytes(Acc(1), Acc(2)), -1, 0));
            Assert.Equal(0, CreditsOf(port, results, 2, 100));

            Receive(snapshot, followerDir.Path);
            port.CommandJournal.ResetAfter(3, 1, ts3);
            Assert.Equal(4, port.CommandJournal.FirstIndex);
            Assert.Equal(1, port.CommandJournal.TermBeforeFirst);
            Assert.Throws<InvalidOperationException>(() => port.TryPublishSnapshotInstall(1, 1, ts3));
            Assert.True(port.TryPublishSnapshotInstall(3, 1, ts3));
            Assert.Equal(3, port.PublishedIndex);
            // The swap happens on the BLP thread, in ring order: a read behind it sees the snapshot's state.
            Assert.Equal(540, CreditsOf(port, results, 2, 101));
            Assert.Equal(3, engine.AppliedIndex);
            Assert.Equal(3, engine.LastSnapshotIndex);

            // The log continues after the snapshot.
            _timestampNs = ts3;
            (long i4, long t4) = Journal(port, (ushort)CommandKind.CreateTransfers, Bytes(Tx(12, 1, 2, 7)));
            Assert.Equal(4, i4);
            Assert.True(port.TryPublishCommitted((ushort)CommandKind.CreateTransfers, i4, 1, t4, Bytes(Tx(12, 1, 2, 7)), 1, 102));
            Assert.All(results.Wait(102).Results, r => Assert.Equal(ResultCode.Ok, r.Code));
            Assert.Equal(547, CreditsOf(port, results, 2, 103));
            Assert.Equal(4, engine.EventJournal!.LastIndex);
            Assert.Equal(4, engine.EventJournal.FirstIndex);
            engine.Stop(TimeSpan.FromSeconds(10), snapshot: false);
        }

        // Restart: installed snapshot + the journal after it.
        (engine, results) = Start(committedHint: 4, directory: followerDir.Path);
        using (engine)
        {
            Assert.Equal(4, engine.Sequencer!.RecoveredIndex);
            Assert.Equal(3, engine.Recovery.Snapshot!.Header.Index);
            Assert.Equal(547, CreditsOf(engine.Sequencer, results, 2, 104));
        }
    }

    [Fact]
    public void Recovery_finishes_an_install_cut_between_the_snapshot_rename_and_the_journal_reset()
    {
        (string snapshot, long ts3) = LeaderSnapshotAt3();
        using var followerDir = new TempDirectory("external-cut");
        (PartitionEngine engine, CollectingResultHandler results) = Start(directory: followerDir.Path);
        using (engine)
        {
            SequencerPort port = engine.Sequencer!;
            // A conflicting, uncommitted entry 1 of another term (the follower once followed a deposed leader).
            (long i1, _) = Journal(port, (ushort)CommandKind.CreateAccounts, Bytes(Acc(7)), term: 9);
            Assert.Equal(1, i1);
            engine.Stop(TimeSpan.FromSeconds(10), snapshot: false);
        }

        Receive(snapshot, followerDir.Path); // renamed into place; then the process died before resetting its journals

        (engine, results) = Start(directory: followerDir.Path);
        using (engine)
        {
            SequencerPort port = engine.Sequencer!;
            Assert.Equal(3, port.RecoveredIndex);
            Assert.Equal(4, port.CommandJournal.FirstIndex);
            Assert.Equal(3, port.CommandJournal.LastIndex);
            Assert.Equal(1, port.CommandJournal.TermBeforeFirst);
            Assert.Equal(ts3, port.CommandJournal.LastTimestamp);
            Assert.Equal(540, CreditsOf(port, results, 2, 200));
            Assert.True(port.TryPublishQuery(QueryKind.LookupAccounts, 5, 201, Bytes<UInt128>(7)));
            Assert.Empty(results.Wait(201).Payload); // the conflicting entry is gone, never applied
        }
    }
}
