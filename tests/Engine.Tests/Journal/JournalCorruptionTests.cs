using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// Byte flips. The contract: a flip anywhere is reported by Verify (Ok = false). Open throws
    /// JournalCorruptException naming the flipped file with an offset at or before the flipped byte, except
    /// (a) inside the last record of the last segment, where Open may instead cut it as a torn tail
    ///     (LastIndex = previous index), and
    /// (b) in the 4 bytes right after the last record (the next record's length field), which look exactly like
    ///     the start of a torn record: Open cuts them and keeps every record.
    /// </summary>
    public sealed class JournalCorruptionTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void Every_flipped_byte_is_detected()
        {
            long lastIndex = BuildTwoSegmentJournal();
            string[] files = SegmentFiles(_dir.Path);
            byte[][] originals = files.Select(File.ReadAllBytes).ToArray();
            long secondFirst = lastIndex - 3;
            List<(long Index, long Start, long End)> firstRecords = JournalCrashTests.RecordExtents(originals[0], 1);
            List<(long Index, long Start, long End)> lastRecords = JournalCrashTests.RecordExtents(originals[1], secondFirst);
            (long _, long lastStart, long lastEnd) = lastRecords[^1];

            int checkedFlips = 0;
            for (int f = 0; f < files.Length; f++)
            {
                List<(long Index, long Start, long End)> records = f == 0 ? firstRecords : lastRecords;
                foreach (long offset in InterestingOffsets(records, originals[f].Length))
                {
                    FlipByte(files[f], offset);
                    bool modified = false;
                    string context = $"file {f} offset {offset}";

                    JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
                    Assert.False(verify.Ok, context);

                    bool inLastRecord = f == files.Length - 1 && offset >= lastStart && offset < lastEnd;
                    bool inNextLength = f == files.Length - 1 && offset >= lastEnd && offset < lastEnd + 4;
                    try
                    {
                        modified = true; // a successful open cuts the torn tail
                        using Journal journal = Journal.Open(Options(_dir.Path));
                        Assert.True(inLastRecord || inNextLength, $"{context}: opened without error");
                        Assert.True(journal.RecoveryReport.TornTailFound, context);
                        Assert.Equal(inLastRecord ? lastIndex - 1 : lastIndex, journal.LastIndex);
                        Assert.True(verify.IsTornTail, context);
                    }
                    catch (JournalCorruptException e)
                    {
                        Assert.Equal(files[f], e.FilePath);
                        Assert.True(e.Offset <= offset, $"{context}: reported offset {e.Offset}");
                        Assert.False(string.IsNullOrEmpty(e.Reason));
                        Assert.Equal(e.FilePath, verify.FilePath);
                        Assert.Equal(e.Offset, verify.Offset);
                        Assert.False(verify.IsTornTail, context);
                        if (checkedFlips % 7 == 0)
                        {
                            modified = true;
                            AssertRepairCutsAtTheBadRecord(e);
                        }
                    }

                    if (modified)
                    {
                        RestoreAll(files, originals);
                    }
                    else
                    {
                        FlipByte(files[f], offset); // flips it back
                    }

                    checkedFlips++;
                }
            }

            Assert.True(checkedFlips > 700, $"only {checkedFlips} flips");
        }

        /// <summary>
        /// The same flips with <see cref="JournalOpenValidation.LastSegment"/>, where the open reads no record of a sealed
        /// segment: each flip in the sealed segment (and in the header that links the next one to it) is reported either
        /// by the open or by a reader passing it — at the very file and offset Verify names. None goes unnoticed.
        /// </summary>
        [Fact]
        public void Every_flipped_byte_of_a_sealed_segment_is_found_by_the_open_or_the_reader_with_LastSegment_validation()
        {
            long lastIndex = BuildTwoSegmentJournal();
            string[] files = SegmentFiles(_dir.Path);
            byte[][] originals = files.Select(File.ReadAllBytes).ToArray();
            List<(long Index, long Start, long End)> firstRecords = JournalCrashTests.RecordExtents(originals[0], 1);
            JournalOptions lazy = Options(_dir.Path, validation: JournalOpenValidation.LastSegment);

            using (Journal clean = Journal.Open(lazy))
            {
                Assert.Equal(1, clean.RecoveryReport.SegmentsNotRead);
                Assert.Equal(lastIndex, clean.LastIndex);
                AssertReads(clean, 1, lastIndex, i => i <= 22 ? 2990 + (int)(i % 8) : (int)(i % 7) * 9 + 5);
            }

            var offsets = new List<(int File, long Offset)>();
            foreach (long o in InterestingOffsets(firstRecords, originals[0].Length)) offsets.Add((0, o));
            for (long o = 0; o < SegmentHeader.SizeBytes; o++) offsets.Add((1, o));

            int byOpen = 0, byReader = 0;
            foreach ((int f, long offset) in offsets)
            {
                FlipByte(files[f], offset);
                string context = $"file {f} offset {offset}";
                JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
                Assert.False(verify.Ok, context);
                Assert.False(verify.IsTornTail, context);

                JournalCorruptException found;
                try
                {
                    using Journal journal = Journal.Open(lazy);
                    using JournalReader reader = journal.OpenReader(journal.FirstIndex);
                    found = Assert.Throws<JournalCorruptException>(() =>
                    {
                        while (reader.TryRead(out _)) { }
                    });
                    byReader++;
                }
                catch (JournalCorruptException e)
                {
                    found = e;
                    byOpen++;
                }

                Assert.Equal(verify.FilePath, found.FilePath);
                Assert.True(verify.Offset == found.Offset, $"{context}: reader or open reported offset {found.Offset}, Verify {verify.Offset} ({found.Reason} / {verify.Reason})");
                RestoreAll(files, originals);
            }

            Assert.True(byReader > 500, $"only {byReader} flips left to the reader");
            Assert.True(byOpen >= SegmentHeader.SizeBytes, $"only {byOpen} flips found by the open (segment headers are always checked)");
        }

        [Fact]
        public void Repair_cuts_at_the_first_bad_record_and_discards_later_segments()
        {
            BuildTwoSegmentJournal();
            string[] files = SegmentFiles(_dir.Path);
            List<(long Index, long Start, long End)> records = JournalCrashTests.RecordExtents(File.ReadAllBytes(files[0]), 1);
            (long badIndex, long badStart, _) = records[5];
            FlipByte(files[0], badStart + JournalRecordHeader.SizeBytes + 10);

            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => Journal.Open(Options(_dir.Path)));
            Assert.Equal(files[0], e.FilePath);
            Assert.Equal(badStart, e.Offset);
            Assert.Equal(badIndex, e.Index);
            Assert.Contains("checksum", e.Reason, StringComparison.Ordinal);
            Assert.Contains(files[0], e.Message, StringComparison.Ordinal);

            using (Journal repaired = Journal.Open(Options(_dir.Path, repair: true)))
            {
                Assert.True(repaired.RecoveryReport.RepairPerformed);
                Assert.Equal(1, repaired.RecoveryReport.SegmentsDeleted);
                Assert.Equal(badIndex, repaired.RecoveryReport.FirstDiscardedIndex);
                Assert.True(repaired.RecoveryReport.BytesTruncated > 0);
                Assert.Equal(badIndex - 1, repaired.LastIndex);
                AppendRange(repaired, badIndex, 3);
            }

            Assert.Single(SegmentFiles(_dir.Path));
            Assert.True(Journal.Verify(_dir.Path, "journal").Ok);
        }

        [Fact]
        public void Missing_middle_segment_is_an_index_gap()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 80, _ => 3000);
            }

            string[] files = SegmentFiles(_dir.Path);
            Assert.True(files.Length >= 3);
            File.Delete(files[1]);
            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => Journal.Open(Options(_dir.Path)));
            Assert.Equal(files[2], e.FilePath);
            Assert.Contains("index gap", e.Reason, StringComparison.Ordinal);
            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.False(verify.Ok);
            Assert.Equal(files[2], verify.FilePath);
        }

        [Fact]
        public void Shortened_middle_segment_is_detected()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 50, _ => 3000);
            }

            string[] files = SegmentFiles(_dir.Path);
            using (var stream = new FileStream(files[0], FileMode.Open))
            {
                stream.SetLength(30_000);
            }

            // Records past the new end read as zeros: the record cut at 30,000 fails its checksum.
            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => Journal.Open(Options(_dir.Path)));
            Assert.Equal(files[0], e.FilePath);
            Assert.True(e.Offset <= 30_000);

            // Cut exactly after a whole record instead: the first segment is fine, the second no longer continues it.
            List<(long Index, long Start, long End)> records = JournalCrashTests.RecordExtents(File.ReadAllBytes(files[0]), 1);
            using (var stream = new FileStream(files[0], FileMode.Open))
            {
                stream.SetLength(records[3].End);
            }

            e = Assert.Throws<JournalCorruptException>(() => Journal.Open(Options(_dir.Path)));
            Assert.Equal(files[1], e.FilePath);
            Assert.Contains("index gap", e.Reason, StringComparison.Ordinal);
        }

        private void AssertRepairCutsAtTheBadRecord(JournalCorruptException e)
        {
            using (Journal repaired = Journal.Open(Options(_dir.Path, repair: true)))
            {
                Assert.True(repaired.RecoveryReport.RepairPerformed);
                if (e.Index.HasValue)
                {
                    Assert.Equal(e.Index.Value - 1, repaired.LastIndex);
                }

                AppendRange(repaired, repaired.LastIndex + 1, 1);
            }

            JournalVerifyResult after = Journal.Verify(_dir.Path, "journal");
            Assert.True(after.Ok, after.Reason);
        }

        /// <summary>Two segments: 21 records of ~3000 bytes fill the first; the 22nd rolls, followed by 3 small ones.</summary>
        private long BuildTwoSegmentJournal()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 22, i => 2990 + (int)(i % 8));
            AppendRange(journal, 23, 3, i => (int)(i % 7) * 9 + 5);
            Assert.Equal(2, SegmentFiles(_dir.Path).Length);
            return journal.LastIndex;
        }

        /// <summary>Segment header bytes, record header bytes (dense), payload bytes with a stride, every padding byte, the bytes after the records, a sample of the zero tail.</summary>
        private static IEnumerable<long> InterestingOffsets(List<(long Index, long Start, long End)> records, long fileLength)
        {
            var offsets = new SortedSet<long>();
            for (long o = 0; o < SegmentHeader.SizeBytes; o++)
            {
                offsets.Add(o);
            }

            for (int r = 0; r < records.Count; r++)
            {
                (long _, long start, long end) = records[r];

                // Every header byte of the first two and last three records, every 3rd byte of the others.
                int headerStride = r < 2 || r >= records.Count - 3 ? 1 : 3;
                for (long o = start; o < start + JournalRecordHeader.SizeBytes; o += headerStride)
                {
                    offsets.Add(o);
                }

                for (long o = start + JournalRecordHeader.SizeBytes; o < end; o += 211)
                {
                    offsets.Add(o);
                }

                for (long o = Math.Max(start, end - 8); o < end; o++)
                {
                    offsets.Add(o);
                }
            }

            long tail = records[^1].End;
            for (long o = tail; o < Math.Min(fileLength, tail + 16); o++)
            {
                offsets.Add(o);
            }

            for (long o = tail; o < fileLength; o += 4099)
            {
                offsets.Add(o);
            }

            offsets.Add(fileLength - 1);
            return offsets;
        }

        private static void FlipByte(string path, long offset)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            stream.Position = offset;
            int value = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(value ^ 0x5A));
        }

        private static void RestoreAll(string[] files, byte[][] originals)
        {
            foreach (string f in Directory.GetFiles(Path.GetDirectoryName(files[0])!))
            {
                if (Array.IndexOf(files, f) < 0)
                {
                    File.Delete(f);
                }
            }

            for (int i = 0; i < files.Length; i++)
            {
                File.WriteAllBytes(files[i], originals[i]);
            }
        }
    }
}
