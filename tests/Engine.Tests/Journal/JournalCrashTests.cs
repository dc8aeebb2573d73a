using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// Simulated crashes: the last segment is cut at every byte offset covering its header and last records,
    /// both by truncating the file and by zeroing from the offset. Recovery must keep exactly the records that
    /// are still intact, report a torn tail exactly when a partial record remains, and let appends continue.
    /// </summary>
    public sealed class JournalCrashTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void Cut_anywhere_in_the_last_records_recovers_the_whole_records_before_the_cut()
        {
            // 1st segment full of 3000-byte records, the last segment holds 4 small records.
            long lastIndex = BuildJournal(out long lastSegmentFirstIndex);
            string lastSegment = SegmentFiles(_dir.Path)[^1];
            byte[] original = File.ReadAllBytes(lastSegment);
            List<(long Index, long Start, long End)> records = RecordExtents(original, lastSegmentFirstIndex);
            Assert.Equal(lastIndex, records[^1].Index);
            Assert.Equal(4, records.Count);

            // Every offset from the start of the last three records through their end (+8 bytes of zeros).
            long endOfData = records[^1].End + 8;
            for (long cut = records[^3].Start; cut <= endOfData; cut++)
            {
                foreach (bool truncateFile in new[] { true, false })
                {
                    RestoreAndCut(lastSegment, original, cut, truncateFile);
                    long expectedLast = ExpectedLastIndex(original, records, cut, lastSegmentFirstIndex - 1);
                    bool expectTorn = ExpectTorn(original, records, cut);
                    string context = $"cut={cut} truncate={truncateFile}";

                    using (Journal journal = Journal.Open(Options(_dir.Path)))
                    {
                        Assert.True(expectedLast == journal.LastIndex, $"{context}: LastIndex {journal.LastIndex}, expected {expectedLast}");
                        Assert.True(expectTorn == journal.RecoveryReport.TornTailFound, $"{context}: torn flag {journal.RecoveryReport.TornTailFound}");
                        Assert.False(journal.RecoveryReport.RepairPerformed);
                        AppendRange(journal, expectedLast + 1, 2);
                    }

                    JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
                    Assert.True(verify.Ok, $"{context}: {verify.Reason}");
                    Assert.Equal(expectedLast + 2, verify.LastIndex);
                }
            }
        }

        [Fact]
        public void Crash_inside_a_fresh_segment_header_drops_the_segment()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 22, _ => 3000);
            }

            string[] files = SegmentFiles(_dir.Path);
            Assert.Equal(2, files.Length);
            byte[] original = File.ReadAllBytes(files[1]);
            long firstOfSecond = long.Parse(Path.GetFileNameWithoutExtension(files[1])["journal-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            for (long cut = 0; cut < SegmentHeader.SizeBytes; cut++)
            {
                RestoreAndCut(files[1], original, cut, truncateFile: cut % 2 == 0);
                using Journal journal = Journal.Open(Options(_dir.Path));
                Assert.Equal(firstOfSecond - 1, journal.LastIndex);
                Assert.True(journal.RecoveryReport.TornTailFound, $"cut={cut}");
                AppendRange(journal, firstOfSecond, 1, _ => 3000);
            }
        }

        private long BuildJournal(out long lastSegmentFirstIndex)
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 21, _ => 3000);
            Assert.Single(SegmentFiles(_dir.Path));
            AppendRange(journal, 22, 1, _ => 1500); // does not fit the 1,464 bytes left: rolls
            lastSegmentFirstIndex = 22;
            Assert.Equal(2, SegmentFiles(_dir.Path).Length);
            AppendRange(journal, 23, 3, i => (int)(i % 7) * 5 + 3);
            return journal.LastIndex;
        }

        private static void RestoreAndCut(string path, byte[] original, long cut, bool truncateFile)
        {
            byte[] bytes = (byte[])original.Clone();
            if (truncateFile)
            {
                File.WriteAllBytes(path, bytes.AsSpan(0, (int)cut).ToArray());
            }
            else
            {
                bytes.AsSpan((int)cut).Clear();
                File.WriteAllBytes(path, bytes);
            }
        }

        internal static List<(long Index, long Start, long End)> RecordExtents(byte[] segment, long firstIndex)
        {
            var result = new List<(long, long, long)>();
            long offset = SegmentHeader.SizeBytes;
            long index = firstIndex;
            while (offset + JournalRecordHeader.SizeBytes <= segment.Length)
            {
                JournalRecordHeader h = JournalRecordHeader.Read(segment.AsSpan((int)offset));
                if (h.TotalLengthBytes == 0)
                {
                    break;
                }

                Assert.Equal(index, h.Index);
                result.Add((index, offset, offset + h.TotalLengthBytes));
                offset += h.TotalLengthBytes;
                index++;
            }

            return result;
        }

        /// <summary>A record survives a cut when the bytes the cut removed were zero anyway.</summary>
        private static bool Intact(byte[] original, long start, long end, long cut) =>
            cut >= end || !original.AsSpan((int)Math.Max(start, cut), (int)(end - Math.Max(start, cut))).ContainsAnyExcept((byte)0);

        private static long ExpectedLastIndex(byte[] original, List<(long Index, long Start, long End)> records, long cut, long previousLast)
        {
            if (!Intact(original, 0, SegmentHeader.SizeBytes, cut))
            {
                return previousLast;
            }

            long last = previousLast;
            foreach ((long index, long start, long end) in records)
            {
                if (!Intact(original, start, end, cut))
                {
                    break;
                }

                last = index;
            }

            return last;
        }

        /// <summary>Torn exactly when something non-zero remains between the last intact record and the cut.</summary>
        private static bool ExpectTorn(byte[] original, List<(long Index, long Start, long End)> records, long cut)
        {
            if (!Intact(original, 0, SegmentHeader.SizeBytes, cut))
            {
                return true;
            }

            foreach ((long _, long start, long end) in records)
            {
                if (!Intact(original, start, end, cut))
                {
                    return cut > start && original.AsSpan((int)start, (int)(cut - start)).ContainsAnyExcept((byte)0);
                }
            }

            return false;
        }
    }
}
