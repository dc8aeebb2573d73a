using System.Diagnostics;
using Wallet.Engine.Snapshots;
using Wallet.Perf.Harness;
using Wallet.Replication;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// A follower receiving an InstallSnapshot, as the consensus thread does it: a snapshot file of --size-mib is streamed
/// in --chunk-kib chunks through <see cref="FileRaftSnapshotStore"/> (leader read → follower write) and installed
/// (fsync, verify, rename). Reports how long each chunk write and the install held the thread — the install's fsync is
/// the stall that could outlast an election timeout — with the early write-out step at --writeback-mib (0 = none:
/// everything is left to the install's fsync). Files in a temp folder, deleted after.
/// </summary>
internal sealed class SnapshotInstallScenario : IScenario
{
    public string Name => "snapshot-install";

    public string Description => "follower side of InstallSnapshot: chunk writes and the install's fsync, with and without early write-out";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--size-mib", "snapshot size in MiB, [1, 4096]", "256"),
        new("--chunk-kib", "chunk size in KiB (RaftOptions.SnapshotChunkBytes), [4, 16384]", "256"),
        new("--writeback-mib", "early write-out every N MiB received, 0 = none, [0, 1024]", "8"),
        new("--rounds", "transfers to measure, [1, 100]", "3"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        int sizeMib = (int)options.ExtraLong("--size-mib", 256, 1, 4096);
        int chunkBytes = (int)options.ExtraLong("--chunk-kib", 256, 4, 16384) << 10;
        int writebackBytes = (int)options.ExtraLong("--writeback-mib", 8, 0, 1024) << 20;
        int rounds = (int)options.ExtraLong("--rounds", 3, 1, 100);
        string dir = Path.Combine(Path.GetTempPath(), "wallet-perf-snapinstall-" + Guid.NewGuid().ToString("N")[..8]);
        var result = new ScenarioResult(Name);
        result.Note($"{sizeMib} MiB snapshot, {chunkBytes >> 10} KiB chunks, early write-out {(writebackBytes == 0 ? "off" : $"every {writebackBytes >> 20} MiB")}, {rounds} transfers, dir {dir}");
        try
        {
            var leaderFiles = new SnapshotStore(Path.Combine(dir, "leader"));
            log.WriteLine($"[snapshot-install] writing a {sizeMib} MiB snapshot (not timed)");
            var block = new byte[1 << 20];
            new Random(1).NextBytes(block);
            leaderFiles.Write(1000, 1, 1, 1, s =>
            {
                for (int i = 0; i < sizeMib; i++)
                {
                    block[i % block.Length] ^= 0x5A; // not a repeating file
                    s.Write(block);
                }
            });
            using var leader = new FileRaftSnapshotStore(leaderFiles, 1);
            if (!leader.TryGetNewest(out RaftSnapshotMeta meta)) throw new InvalidOperationException("the leader's snapshot is not readable");
            var chunk = new byte[chunkBytes];
            var writes = new LatencyRecorder("chunk write");
            var installs = new LatencyRecorder("install");
            double receiveSeconds = 0;
            string followerDir = Path.Combine(dir, "follower");
            for (int round = 0; round < rounds; round++)
            {
                if (Directory.Exists(followerDir)) Directory.Delete(followerDir, recursive: true);
                using var follower = new FileRaftSnapshotStore(new SnapshotStore(followerDir), 1, writebackBytes);
                log.WriteLine($"[snapshot-install] transfer {round + 1}/{rounds}");
                long start = Stopwatch.GetTimestamp();
                if (!follower.BeginReceive(meta)) throw new IOException("BeginReceive refused: " + follower.LastRejection);
                for (long offset = 0; offset < meta.SizeBytes;)
                {
                    int n = leader.Read(0, meta, offset, chunk);
                    if (n <= 0) throw new IOException($"leader read failed at {offset}");
                    long t0 = Stopwatch.GetTimestamp();
                    if (!follower.Write(chunk.AsSpan(0, n))) throw new IOException("follower write failed: " + follower.LastRejection);
                    writes.RecordTicks(Stopwatch.GetTimestamp() - t0);
                    offset += n;
                }
                long t1 = Stopwatch.GetTimestamp();
                if (!follower.TryInstall(meta, out string? error)) throw new IOException("install refused: " + error);
                long t2 = Stopwatch.GetTimestamp();
                installs.RecordTicks(t2 - t1);
                receiveSeconds += Pacing.TicksToSeconds(t1 - start);
                result.Add("install", $"transfer {round + 1}: install (fsync + verify + rename)", Pacing.TicksToSeconds(t2 - t1) * 1000, "ms");
                result.Add("install", $"transfer {round + 1}: early write-outs started", follower.WritebacksStarted, "calls");
            }
            result.Add("receive", "MiB/s received (chunk writes, excl. install)", sizeMib * (double)rounds / receiveSeconds, "MiB/s");
            writes.Report(result, "chunk write");
            installs.Report(result, "install");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
        }
        return result;
    }
}
