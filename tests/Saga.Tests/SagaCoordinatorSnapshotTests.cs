using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;

namespace Wallet.Saga.Tests;

/// <summary>The sequencer's snapshots and journal retention: restarts replay only the suffix and end in the same state.</summary>
public sealed class SagaCoordinatorSnapshotTests
{
    private const int Customers = 16;

    private static Transfer Tx(UInt128 id, UInt128 from, UInt128 to, long amount) =>
        new() { Id = id, DebitAccountId = from, CreditAccountId = to, Amount = amount, Ledger = 1, Code = 1 };

    /// <summary>Runs <paramref name="sagas"/> cross-partition sagas in waves and waits for every outcome.</summary>
    private static void RunSagas(CoordinatorCluster cluster, SagaCoordinator coordinator, List<UInt128> ids, int sagas, int firstTransferId)
    {
        var done = new CompletionWaiter();
        const int wave = 40;
        for (var start = 0; start < sagas; start += wave)
        {
            var n = Math.Min(wave, sagas - start);
            for (var i = 0; i < n; i++)
            {
                var k = start + i;
                var from = ids[k % ids.Count];
                var to = ids[(k + 1) % ids.Count];
                for (var step = 2; cluster.Map.PartitionOf(from) == cluster.Map.PartitionOf(to); step++) to = ids[(k + step) % ids.Count];
                Assert.True(coordinator.TrySubmit(Tx((UInt128)(firstTransferId + k), from, to, 1 + (k % 7)), SagaMode.Saga, k, done));
            }

            done.WaitCount(start + n);
        }

        Assert.All(done.Codes.Values, code => Assert.Equal(ResultCode.Ok, code));
        cluster.WaitSettled(); // Ok comes at the commit point; the posts finish after it
    }

    private static List<UInt128> Customer(CoordinatorCluster cluster)
    {
        var ids = new List<UInt128>();
        for (UInt128 id = 1; ids.Count < Customers; id++) ids.Add(id);
        cluster.Fund([.. ids]);
        return ids;
    }

    private static string[] SnapshotFiles(CoordinatorCluster cluster) =>
        Directory.GetFiles(cluster.SagaDirectory, SagaCoordinatorOptions.SnapshotPrefix + "-*.snap");

    [Fact(Timeout = 120_000)]
    public async Task A_restart_loads_the_newest_snapshot_replays_only_the_suffix_and_matches_a_full_replay()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var ids = Customer(cluster);
        var first = cluster.StartCoordinator(snapshotEveryCommands: 8);
        RunSagas(cluster, first, ids, 200, 10_000);
        Assert.True(first.SnapshotsWritten > 0, "no snapshot was written");
        Assert.Equal(0, first.SnapshotFailures);
        cluster.KillCoordinator();
        var expected = first.Machine.ComputeDigest();
        var lastIndex = first.Machine.LastIndex;
        Assert.InRange(SnapshotFiles(cluster).Length, 1, 3); // retention keeps the newest three

        var second = cluster.StartCoordinator(snapshotEveryCommands: 8);
        Assert.True(second.Recovery.SnapshotIndex > 0, "the restart did not use a snapshot");
        Assert.Equal(lastIndex - second.Recovery.SnapshotIndex, second.Recovery.CommandsReplayed);
        Assert.Equal(0, second.Recovery.SnapshotsRejected);
        cluster.KillCoordinator();
        Assert.Equal(expected, second.Machine.ComputeDigest());

        // Without snapshots the same journal replays from genesis to the same state.
        foreach (var f in SnapshotFiles(cluster)) File.Delete(f);
        var third = cluster.StartCoordinator();
        Assert.Equal(0, third.Recovery.SnapshotIndex);
        Assert.Equal(lastIndex, third.Recovery.CommandsReplayed);
        cluster.KillCoordinator();
        Assert.Equal(expected, third.Machine.ComputeDigest());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_restart_does_not_read_the_journal_before_its_snapshot_but_a_replay_through_damage_refuses()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var ids = Customer(cluster);
        const long segment = 64 << 10;
        var first = cluster.StartCoordinator(snapshotEveryCommands: 8, segmentSizeBytes: segment);
        RunSagas(cluster, first, ids, 800, 10_000);
        cluster.KillCoordinator();
        var expected = first.Machine.ComputeDigest();
        var journal = Directory.GetFiles(cluster.SagaDirectory, SagaCoordinatorOptions.JournalPrefix + "-*.seg");
        Array.Sort(journal, StringComparer.Ordinal);
        Assert.True(journal.Length >= 2, $"{journal.Length} journal segments");
        using (var f = new FileStream(journal[0], FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 1_000; // a record near the start, long covered by the snapshots
            var b = f.ReadByte();
            f.Position = 1_000;
            f.WriteByte((byte)(b ^ 0x5A));
        }
        var verify = Journal.Verify(cluster.SagaDirectory, SagaCoordinatorOptions.JournalPrefix);
        Assert.False(verify.Ok);

        // From the newest snapshot: the damaged record is not read; the state is the same.
        var second = cluster.StartCoordinator(snapshotEveryCommands: 8, segmentSizeBytes: segment);
        Assert.True(second.Recovery.SnapshotIndex > 0);
        cluster.KillCoordinator();
        Assert.Equal(expected, second.Machine.ComputeDigest());

        // Without snapshots recovery replays through it: refused at the file and offset Verify names.
        foreach (var f in SnapshotFiles(cluster)) File.Delete(f);
        var e = Assert.Throws<JournalCorruptException>(() => cluster.StartCoordinator(segmentSizeBytes: segment));
        Assert.Equal((verify.FilePath, verify.Offset), (e.FilePath, e.Offset));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_damaged_newest_snapshot_is_skipped_for_an_older_one_and_new_sagas_still_work()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var ids = Customer(cluster);
        var first = cluster.StartCoordinator(snapshotEveryCommands: 4);
        RunSagas(cluster, first, ids, 240, 10_000);
        cluster.KillCoordinator();
        var expected = first.Machine.ComputeDigest();
        var files = SnapshotFiles(cluster);
        Array.Sort(files, StringComparer.Ordinal);
        Assert.True(files.Length >= 2, $"{files.Length} snapshots");
        using (var f = new FileStream(files[^1], FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = f.Length / 2;
            var b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0x5A));
        }

        var second = cluster.StartCoordinator(snapshotEveryCommands: 4);
        Assert.Equal(1, second.Recovery.SnapshotsRejected);
        Assert.True(second.Recovery.SnapshotIndex > 0);
        Assert.Equal(expected, second.Machine.ComputeDigest());

        // Saga ids continue (no reuse) and the state keeps working after the fallback.
        RunSagas(cluster, second, ids, 20, 50_000);
        Assert.Equal(0, second.Machine.Anomalies);
    }

    [Fact(Timeout = 180_000)]
    public async Task Retention_prunes_the_journal_behind_the_oldest_snapshot_and_recovery_needs_a_snapshot_then()
    {
        await Task.Yield();
        using var cluster = new CoordinatorCluster(2);
        var ids = Customer(cluster);
        const long segment = JournalOptions.MinSegmentSizeBytes;
        var first = cluster.StartCoordinator(snapshotEveryCommands: 16, retention: JournalRetention.BeforeOldestSnapshot, segmentSizeBytes: segment);
        RunSagas(cluster, first, ids, 1_200, 10_000);
        Assert.True(first.SegmentsPruned > 0, $"nothing pruned (snapshots {first.SnapshotsWritten}, last index {first.Machine.LastIndex})");
        cluster.KillCoordinator();
        var expected = first.Machine.ComputeDigest();

        var second = cluster.StartCoordinator(snapshotEveryCommands: 16, retention: JournalRetention.BeforeOldestSnapshot, segmentSizeBytes: segment);
        Assert.True(second.Recovery.SnapshotIndex > 0);
        cluster.KillCoordinator();
        Assert.Equal(expected, second.Machine.ComputeDigest());

        // With the history pruned, losing every snapshot is not silently "an empty table": the start refuses, saying why.
        foreach (var f in SnapshotFiles(cluster)) File.Delete(f);
        var e = Assert.Throws<InvalidDataException>(() => cluster.StartCoordinator(snapshotEveryCommands: 16, retention: JournalRetention.BeforeOldestSnapshot, segmentSizeBytes: segment));
        Assert.Contains("pruned", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_without_snapshots_is_refused_as_a_configuration_error()
    {
        var options = new SagaCoordinatorOptions
        {
            DataDirectory = "/tmp/unused",
            Saga = new SagaOptions { Map = PartitionMap.Uniform(2), Catalog = CoordinatorCluster.Catalog },
            SnapshotEveryCommands = 0, JournalRetention = JournalRetention.BeforeOldestSnapshot,
        };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("needs snapshots", e.Message, StringComparison.Ordinal);
    }
}
