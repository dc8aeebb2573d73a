using System.Diagnostics;
using System.Globalization;
using Wallet.Engine.Journal;
using Wallet.Perf.Harness;

namespace Wallet.Perf.Scenarios;

/// <summary>
/// The journal alone: one thread appends records of <c>--record-bytes</c> to a fresh journal (64 MiB segments, fsync
/// none, the product's 16 MiB prefault window) until <c>--mib</c> are written, per round. Reports append throughput,
/// the writer's CPU per record and the background prefaulter's CPU per 4 KiB page — the price of fresh page-cache pages,
/// which every journalled byte of the engine pays (command and event journals, the saga log, followers' copies).
/// Each round starts a new journal directory, so every page is new to the file; rounds after the first also measure
/// the kernel recycling the previous round's freed pages. Sized by --mib, not by time: --duration-s and --warmup-s are not used.
/// </summary>
internal sealed class JournalScenario : IScenario
{
    private const long SegmentBytes = 64L << 20;
    private const int PageBytes = 4096;

    public string Name => "journal";

    public string Description => "journal append alone: MB/s, writer CPU per record, prefaulter CPU per 4 KiB page (fsync none)";

    public IReadOnlyList<OptionSpec> ExtraOptions { get; } =
    [
        new("--mib", "MiB appended per round, [64, 8192]", "768"),
        new("--record-bytes", "bytes per record on disk (header included), [64, 1048576], a multiple of 8", "8192"),
        new("--rounds", "rounds, each on a fresh journal, [1, 20]", "3"),
        new("--prefault-mib", "prefault window in MiB (0 = off; the product's default is 16)", "16"),
        new("--staged-min-bytes", "records of at least this many bytes are written with pwrite from a private buffer instead of stored into the mapping (0 = never; the product's default is 65536)", "65536"),
        new("--keep-mib", "page-cache window behind the writer in MiB (0 = keep all; the product's default is 128)", "128"),
        new("--rate-mb-s", "append at most this many MB/s (0 = flat out). The engine's journals fill at tens to a few hundred MB/s, which lets the prefaulter run ahead; flat out it cannot", "0"),
    ];

    public ScenarioResult Run(PerfOptions options, TextWriter log)
    {
        long totalBytes = options.ExtraLong("--mib", 768, 64, 8192) << 20;
        int recordBytes = (int)options.ExtraLong("--record-bytes", 8192, 64, 1 << 20);
        if (recordBytes % JournalRecordHeader.AlignmentBytes != 0) throw new PerfOptionsException($"--record-bytes must be a multiple of {JournalRecordHeader.AlignmentBytes}");
        int rounds = (int)options.ExtraLong("--rounds", 3, 1, 20);
        long prefaultBytes = options.ExtraLong("--prefault-mib", 16, 0, 1024) << 20;
        long rateMbPerS = options.ExtraLong("--rate-mb-s", 0, 0, 100_000);
        int stagedMinBytes = (int)options.ExtraLong("--staged-min-bytes", JournalOptions.DefaultStagedWriteMinRecordBytes, 0, int.MaxValue);
        var payload = new byte[recordBytes - JournalRecordHeader.SizeBytes];
        new Random(options.Seed).NextBytes(payload);
        long records = totalBytes / recordBytes;

        var result = new ScenarioResult(Name);
        result.Note($"{records:N0} records of {recordBytes:N0} B per round ({totalBytes >> 20:N0} MiB), 64 MiB segments, fsync none, prefault window {prefaultBytes >> 20} MiB, {(stagedMinBytes > 0 && recordBytes >= stagedMinBytes ? "records staged and written with pwrite" : "records stored into the mapping")}; {(rateMbPerS > 0 ? $"paced at {rateMbPerS} MB/s" : "flat out")}; {rounds} round(s); {Environment.ProcessorCount} cores, load {MachineInfo.LoadAverage()}");
        string root = Path.Combine(Path.GetTempPath(), "wallet-perf", "journal-" + Guid.NewGuid().ToString("N")[..8]);
        double bestMbPerS = 0, writerNsSum = 0, prefaultUsSum = 0;
        try
        {
            for (int round = 1; round <= rounds; round++)
            {
                string dir = Path.Combine(root, "r" + round);
                Directory.CreateDirectory(dir);
                var journalOptions = new JournalOptions
                {
                    Directory = dir, FilePrefix = "bench", Fsync = FsyncPolicy.None, SegmentSizeBytes = SegmentBytes, PrefaultAheadBytes = prefaultBytes,
                    StagedWriteMinRecordBytes = stagedMinBytes,
                    PageCacheKeepBytes = options.ExtraLong("--keep-mib", JournalOptions.DefaultPageCacheKeepBytes >> 20, 0, 1024) << 20,
                };
                TimeSpan writerCpu;
                double seconds, prefaultSeconds;
                using (Journal journal = Journal.Open(journalOptions))
                {
                    TimeSpan cpu0 = ThreadCpu.Current();
                    long start = Stopwatch.GetTimestamp();
                    // Paced: every 1 MB of records waits for its due time (sleeps, never spins).
                    long recordsPerStep = Math.Max(1, 1_000_000 / recordBytes);
                    double ticksPerRecord = rateMbPerS > 0 ? (double)recordBytes / (rateMbPerS * 1e6) * Stopwatch.Frequency : 0;
                    for (long i = 1; i <= records; i++)
                    {
                        journal.Append(1, i, 1, i, payload);
                        if (ticksPerRecord > 0 && i % recordsPerStep == 0)
                        {
                            long due = start + (long)(i * ticksPerRecord);
                            long aheadMs = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                            if (aheadMs > 0) Thread.Sleep((int)aheadMs);
                        }
                    }
                    seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    writerCpu = ThreadCpu.Current() - cpu0;
                    Thread.Sleep(100); // the prefaulter finishes its chunk
                    prefaultSeconds = ThreadTicks("prefault-bench") / 100.0; // its thread is this journal's (and ends with it)
                }
                double mbPerS = totalBytes / 1e6 / seconds;
                double writerNs = writerCpu.TotalNanoseconds / records;
                double prefaultUs = prefaultSeconds * 1e6 / (totalBytes / PageBytes);
                log.WriteLine($"[journal] round {round}: {mbPerS:N0} MB/s, writer {writerNs:N0} ns CPU per record, prefaulter {prefaultUs:N2} µs CPU per page");
                result.Add($"round {round}", "append throughput", mbPerS, "MB/s");
                result.Add($"round {round}", "records/s", records / seconds, "records/s");
                result.Add($"round {round}", "writer CPU per record", writerNs, "ns");
                result.Add($"round {round}", "prefaulter CPU per 4 KiB page", prefaultUs, "µs");
                bestMbPerS = Math.Max(bestMbPerS, mbPerS);
                writerNsSum += writerNs;
                prefaultUsSum += prefaultUs;
                Directory.Delete(dir, recursive: true);
            }
            result.Add("all", "best append throughput", bestMbPerS, "MB/s");
            result.Add("all", "mean writer CPU per record", writerNsSum / rounds, "ns");
            result.Add("all", "mean prefaulter CPU per 4 KiB page", prefaultUsSum / rounds, "µs");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        return result;
    }

    /// <summary>utime + stime (clock ticks) of this process's live threads named <paramref name="name"/>.</summary>
    private static long ThreadTicks(string name)
    {
        long total = 0;
        string tasks = $"/proc/{Environment.ProcessId}/task";
        if (!Directory.Exists(tasks)) return 0;
        foreach (string task in Directory.GetDirectories(tasks))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != name) continue;
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
        }
        return total;
    }
}
