using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// A projection failure stops the projection, is reported, and never touches the write path: here journal
/// retention deleted event segments the view never applied, so the projector cannot build the view, while the
/// partition keeps committing transfers.
/// </summary>
public sealed class ProjectorFaultTests
{
    [Fact]
    public void Missing_event_segments_fault_the_projector_not_the_partition()
    {
        using var dir = new TempDirectory("rm-fault");
        using var p = new PartitionFixture(dir.Path, o => new PartitionOptions
        {
            DataDirectory = o.DataDirectory, Ledger = o.Ledger, IngressRingSize = o.IngressRingSize, EgressRingSize = o.EgressRingSize,
            JournalSegmentSizeBytes = o.JournalSegmentSizeBytes, MaxCommandBytes = o.MaxCommandBytes, Fsync = o.Fsync, Wait = o.Wait, Clock = o.Clock,
            SnapshotIntervalCommands = 0, SnapshotRetainCount = 1, JournalRetention = JournalRetention.BeforeOldestSnapshot,
        });
        p.CreateAccounts(Acc(1), Acc(2));
        ulong id = 1;
        // ~1.5 MiB of events: the event journal rolls over its 1 MiB segments; snapshots then let retention prune them.
        for (int command = 0; command < 40; command++)
        {
            var batch = new Transfer[200];
            for (int i = 0; i < batch.Length; i++) batch[i] = Tx(id++, 1, 2, 1);
            Assert.All(p.CreateTransfers(batch), c => Assert.Equal(ResultCode.Ok, c));
            if (command % 10 == 9) p.Engine.RequestSnapshot();
        }
        // Retention acts at batch ends after a snapshot is written: keep the BLP busy until it has.
        bool pruned = SpinWait.SpinUntil(() =>
        {
            p.CreateTransfers(Tx(id++, 1, 2, 1));
            return p.Engine.EventJournal!.FirstIndex > 1;
        }, 10_000);
        Assert.True(pruned, $"retention never pruned the event journal: files {string.Join(", ", Directory.GetFiles(dir.Path).Select(Path.GetFileName))}, snapshot at {p.Engine.LastSnapshotIndex}");

        using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
        using var projector = new ReadModelProjector(store, p.Engine.EventJournal!, new ReadModelOptions { FaultRetryMs = 20 });
        projector.Start();
        Assert.True(SpinWait.SpinUntil(() => projector.State == ProjectorState.Faulted, 10_000));
        Assert.Contains("starts at index", projector.LastError!.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Position.Index);

        // The write path does not notice: commands keep committing while the projector retries and fails.
        for (int command = 0; command < 5; command++)
        {
            Assert.Equal(ResultCode.Ok, p.CreateTransfers(Tx(id++, 2, 1, 1))[0]);
        }
        Assert.Equal(ProjectorState.Faulted, projector.State);
        Assert.True(projector.Lag.Events > 0);
        projector.Stop(TimeSpan.FromSeconds(5));
        Assert.Equal(ProjectorState.Stopped, projector.State);
    }

    /// <summary>
    /// The event journal's open checks only its recent tail; a damaged record further back is met by the projector. It
    /// faults, says to restart, and leaves the recheck request; the next start checks the whole event journal, cuts it at
    /// the damage and regenerates the rest from commands — the same records, chain checksum for chain checksum.
    /// </summary>
    [Fact]
    public void A_damaged_old_event_record_faults_the_projector_and_the_next_start_checks_all_and_regenerates_it()
    {
        using var dir = new TempDirectory("rm-recheck");
        static PartitionOptions Configure(PartitionOptions o) => new()
        {
            DataDirectory = o.DataDirectory, Ledger = o.Ledger, IngressRingSize = o.IngressRingSize, EgressRingSize = o.EgressRingSize,
            JournalSegmentSizeBytes = o.JournalSegmentSizeBytes, MaxCommandBytes = o.MaxCommandBytes, Fsync = o.Fsync, Wait = o.Wait, Clock = o.Clock,
            SnapshotIntervalCommands = 0, EventJournalCheckTailBytes = 0, // the last event segment only
        };
        string recheck = Path.Combine(dir.Path, PartitionEngine.EventJournalRecheckFile);
        uint checksum;
        long last;
        using (var p = new PartitionFixture(dir.Path, Configure))
        {
            p.CreateAccounts(Acc(1), Acc(2));
            ulong id = 1;
            for (int command = 0; command < 60; command++)
            {
                var batch = new Transfer[200];
                for (int i = 0; i < batch.Length; i++) batch[i] = Tx(id++, 1, 2, 1);
                Assert.All(p.CreateTransfers(batch), c => Assert.Equal(ResultCode.Ok, c));
            }
            (checksum, last) = (p.Engine.EventJournal!.LastChecksum, p.Engine.EventJournal.LastIndex);
            Assert.True(p.Stop(snapshot: false));
        }
        string[] segments = Directory.GetFiles(dir.Path, "events-*.seg").Order(StringComparer.Ordinal).ToArray();
        Assert.True(segments.Length >= 2, $"{segments.Length} event segments");
        using (var f = new FileStream(segments[0], FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 100_000; // inside an early event record
            int b = f.ReadByte();
            f.Position = 100_000;
            f.WriteByte((byte)(b ^ 0x5A));
        }

        // The start does not read it; the projector does, faults, and asks for the recheck.
        using (var p = new PartitionFixture(dir.Path, Configure))
        {
            Assert.Equal(last, p.Engine.EventJournal!.LastIndex);
            using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
            using var projector = new ReadModelProjector(store, p.Engine.EventJournal!, new ReadModelOptions { FaultRetryMs = 20 });
            projector.Start();
            Assert.True(SpinWait.SpinUntil(() => projector.State == ProjectorState.Faulted, 10_000));
            Assert.Contains("restart the node", projector.LastError!.Message, StringComparison.Ordinal);
            Assert.Contains(segments[0], projector.LastError.Message, StringComparison.Ordinal);
            Assert.True(File.Exists(recheck));
            Assert.True(projector.EventJournalRecheckRequested);
            projector.Stop(TimeSpan.FromSeconds(5));
            Assert.True(p.Stop(snapshot: false));
        }

        // The next start checks the whole event journal, cuts at the damage, regenerates the rest identically.
        using (var p = new PartitionFixture(dir.Path, Configure))
        {
            Assert.False(File.Exists(recheck));
            Assert.True(p.Engine.Recovery.RegeneratedEventRecords > 0);
            Assert.Equal((checksum, last), (p.Engine.EventJournal!.LastChecksum, p.Engine.EventJournal.LastIndex));
            Directory.Delete(Path.Combine(dir.Path, ReadModelStore.DirectoryName), recursive: true);
            using ReadModelStore store = ReadModelStore.Open(Path.Combine(dir.Path, ReadModelStore.DirectoryName));
            using var projector = new ReadModelProjector(store, p.Engine.EventJournal!, new ReadModelOptions { FaultRetryMs = 20 });
            projector.Start();
            Assert.True(projector.WaitForIndex(last, TimeSpan.FromSeconds(20)));
            Assert.NotEqual(ProjectorState.Faulted, projector.State);
            Assert.False(projector.EventJournalRecheckRequested);
            projector.Stop(TimeSpan.FromSeconds(5));
            Assert.True(p.Stop(snapshot: false));
        }
        Assert.True(Wallet.Engine.Journal.Journal.Verify(dir.Path, PartitionEngine.EventJournalPrefix).Ok);
    }
}
