using Wallet.Replication.Simulation;
using Xunit.Abstractions;

namespace Wallet.Simulation.Tests;

/// <summary>
/// The CI slice with log compaction and InstallSnapshot on: replicas snapshot every few dozen entries and drop their log
/// below it (keeping a margin), so a replica that was down or cut off long enough can only be caught up by snapshot —
/// with crashes mid-install (torn temporary files), chunks lost, duplicated and reordered, and garbled chunk writes that
/// the follower's verification must reject. Every invariant of the plain slice still holds (state machine safety, equal
/// digests at equal applied index, every acknowledged command present with the model's results, convergence).
/// </summary>
public sealed class SnapshotSliceTests
{
    private readonly ITestOutputHelper _output;

    public SnapshotSliceTests(ITestOutputHelper output) => _output = output;

    [Theory(Timeout = 180_000)]
    [InlineData(3, false, 1001UL, 1030UL)]
    [InlineData(5, false, 1101UL, 1112UL)]
    [InlineData(3, true, 1201UL, 1220UL)]
    public async Task Seeds_with_compaction_install_snapshots_and_hold_every_invariant(int replicas, bool harsh, ulong first, ulong last)
    {
        await Task.Yield();
        var options = SimOptions.WithSnapshots(replicas, harsh);
        var failures = new List<string>();
        long installed = 0, written = 0, rejected = 0;
        for (var seed = first; seed <= last; seed++)
        {
            var result = SimCluster.Run(seed, options);
            _output.WriteLine(result.ToString());
            if (!result.Passed) failures.Add(result.ToString() + (harsh ? " --harsh" : "") + " --snapshots");
            installed += result.Stats.SnapshotsInstalled;
            written += result.Stats.SnapshotsWritten;
            rejected += result.Stats.SnapshotsRejected;
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // The slice really exercises the feature: snapshots are written, followers are caught up by them, and garbled
        // transfers are caught by verification.
        Assert.True(written > 0, "no snapshot was written");
        Assert.True(installed > 0, "no follower was caught up by snapshot");
        Assert.True(rejected > 0, "no garbled snapshot transfer was rejected");
    }
}
