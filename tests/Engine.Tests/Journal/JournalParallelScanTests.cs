using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// A long journal is validated by several threads (segments independently, links in order): the result must be the
    /// one thread's, fault for fault — kind, file, offset, index, reason, segment, cut — and segment for segment, whatever
    /// byte is damaged and wherever (first, middle or last segment; headers, records, padding, zero tail), and when a
    /// segment is missing or the last one is cut short.
    /// </summary>
    public sealed class JournalParallelScanTests : IDisposable
    {
        private const long InOrder = long.MaxValue; // parallelMinBytes: never parallel
        private const long Parallel = 0;            // parallelMinBytes: always (as many threads as cores, at most 4)

        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        private static int Length(long index) => (int)(index * 7919 % 6000);

        private long Build(int segments)
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            long i = 1;
            while (SegmentFiles(_dir.Path).Length < segments)
            {
                AppendRange(journal, i, 1, Length);
                i++;
            }
            AppendRange(journal, i, 3, Length); // a few records in the last segment
            return journal.LastIndex;
        }

        [Fact]
        public void A_sound_journal_scans_the_same()
        {
            long last = Build(segments: 9);
            ScanResult one = SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, InOrder);
            ScanResult many = SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, Parallel);
            AssertSame(one, many, "sound");
            Assert.Null(many.Fault);
            Assert.Equal(9, many.Segments.Count);
            Assert.Equal(last, many.Segments[^1].EndState.NextIndex - 1);
            Assert.Equal(last, many.RecordsScanned);
        }

        [Fact]
        public void Every_flipped_byte_gives_the_same_fault()
        {
            Build(segments: 7);
            string[] files = SegmentFiles(_dir.Path);
            int flips = 0;
            foreach (int f in new[] { 0, 3, files.Length - 1 })
            {
                byte[] original = File.ReadAllBytes(files[f]);
                long firstIndex = JournalRecordHeader.Read(original.AsSpan(SegmentHeader.SizeBytes)).Index;
                List<(long Index, long Start, long End)> records = JournalCrashTests.RecordExtents(original, firstIndex);
                var offsets = new SortedSet<long>();
                for (long o = 0; o < SegmentHeader.SizeBytes; o += 3) offsets.Add(o);
                foreach ((long _, long start, long end) in records)
                {
                    for (long o = start; o < start + JournalRecordHeader.SizeBytes; o += 5) offsets.Add(o);
                    offsets.Add(start + JournalRecordHeader.SizeBytes + 1);
                    offsets.Add(end - 1);
                }
                long tail = records[^1].End;
                for (long o = tail; o < Math.Min(original.Length, tail + 16); o++) offsets.Add(o);
                offsets.Add(original.Length - 1);

                foreach (long offset in offsets)
                {
                    if (offset >= original.Length) continue;
                    byte[] damaged = (byte[])original.Clone();
                    damaged[offset] ^= 0x5A;
                    File.WriteAllBytes(files[f], damaged);
                    ScanResult one = SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, InOrder);
                    ScanResult many = SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, Parallel);
                    AssertSame(one, many, $"file {f} offset {offset}");
                    flips++;
                }
                File.WriteAllBytes(files[f], original);
            }
            Assert.True(flips > 300, $"only {flips} flips");
        }

        [Fact]
        public void A_missing_segment_and_a_cut_last_segment_give_the_same_fault()
        {
            Build(segments: 8);
            string[] files = SegmentFiles(_dir.Path);
            byte[] last = File.ReadAllBytes(files[^1]);
            File.WriteAllBytes(files[^1], last.AsSpan(0, SegmentHeader.SizeBytes + 30).ToArray());
            AssertSame(SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, InOrder), SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, Parallel), "cut last");
            File.WriteAllBytes(files[^1], last);

            File.Move(files[4], files[4] + ".away");
            ScanResult one = SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, InOrder);
            ScanResult many = SegmentScanner.ScanDirectory(_dir.Path, "journal", 0, Parallel);
            AssertSame(one, many, "gap");
            Assert.NotNull(many.Fault);
            Assert.Equal(JournalFaultKind.Corrupt, many.Fault!.Kind);
            Assert.Contains("index gap", many.Fault.Reason);
        }

        private static void AssertSame(ScanResult one, ScanResult many, string context)
        {
            Assert.True((one.Fault is null) == (many.Fault is null), $"{context}: fault {one.Fault?.Reason} vs {many.Fault?.Reason}");
            if (one.Fault is not null)
            {
                JournalFault a = one.Fault, b = many.Fault!;
                Assert.True(a.Kind == b.Kind && a.FilePath == b.FilePath && a.OffsetBytes == b.OffsetBytes && a.Index == b.Index
                    && a.Reason == b.Reason && a.SegmentOrdinal == b.SegmentOrdinal && a.CutOffsetBytes == b.CutOffsetBytes,
                    $"{context}: in order {a.Kind} {a.FilePath} @{a.OffsetBytes} #{a.Index} seg {a.SegmentOrdinal} cut {a.CutOffsetBytes}: {a.Reason}; " +
                    $"parallel {b.Kind} {b.FilePath} @{b.OffsetBytes} #{b.Index} seg {b.SegmentOrdinal} cut {b.CutOffsetBytes}: {b.Reason}");
            }
            Assert.Equal(one.SegmentsScanned, many.SegmentsScanned);
            Assert.Equal(one.RecordsScanned, many.RecordsScanned);
            Assert.Equal(one.Segments.Count, many.Segments.Count);
            for (int i = 0; i < one.Segments.Count; i++)
            {
                SegmentEntry a = one.Segments[i], b = many.Segments[i];
                Assert.True(a.Path == b.Path && a.FirstIndex == b.FirstIndex && a.SegmentSizeBytes == b.SegmentSizeBytes
                    && a.EndOffsetBytes == b.EndOffsetBytes && a.StartState.Equals(b.StartState) && a.EndState.Equals(b.EndState),
                    $"{context}: segment {i} differs");
            }
        }
    }
}
