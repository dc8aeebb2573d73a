using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// <see cref="JournalOpenValidation.LastSegment"/>: the open checks every header and the last segment's records only.
    /// It must come to the same journal as a full open, and every operation that needs a sealed segment's real end
    /// (truncation into it, a torn header that makes it the last) must walk and check it first. Flips inside sealed
    /// segments: JournalCorruptionTests.
    /// </summary>
    public sealed class JournalOpenValidationTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        private static int Length(long index) => 1500 + (int)(index * 7919 % 1500);

        private JournalOptions Lazy(bool repair = false) => Options(_dir.Path, repair: repair, validation: JournalOpenValidation.LastSegment);

        /// <summary>About 4 segments of 64 KiB.</summary>
        private long Build(long count = 100)
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, count, Length);
            Assert.True(SegmentFiles(_dir.Path).Length >= 4);
            return journal.LastIndex;
        }

        [Fact]
        public void Opens_to_the_same_journal_as_a_full_open_reading_only_the_last_segment()
        {
            long last = Build();
            int files = SegmentFiles(_dir.Path).Length;
            (long First, long Last, uint Checksum, long Term, long Timestamp, long RecordsScanned, long Bytes) full, lazy;
            using (Journal j = Journal.Open(Options(_dir.Path)))
            {
                full = (j.FirstIndex, j.LastIndex, j.LastChecksum, j.LastTerm, j.LastTimestamp, j.RecoveryReport.RecordsScanned, j.RecordBytesFrom(1));
                Assert.Equal(0, j.RecoveryReport.SegmentsNotRead);
            }

            using (Journal j = Journal.Open(Lazy()))
            {
                lazy = (j.FirstIndex, j.LastIndex, j.LastChecksum, j.LastTerm, j.LastTimestamp, j.RecoveryReport.RecordsScanned, j.RecordBytesFrom(1));
                Assert.Equal(files - 1, j.RecoveryReport.SegmentsNotRead);
                Assert.Equal(files, j.RecoveryReport.SegmentsScanned);
                AssertReads(j, 1, last, Length);
                AppendRange(j, last + 1, 30, Length); // continues the chain across new segments
            }

            Assert.Equal(full.First, lazy.First);
            Assert.Equal(full.Last, lazy.Last);
            Assert.Equal(full.Checksum, lazy.Checksum);
            Assert.Equal(full.Term, lazy.Term);
            Assert.Equal(full.Timestamp, lazy.Timestamp);
            Assert.Equal(full.RecordsScanned, last);
            Assert.True(lazy.RecordsScanned < last / 2, $"the lazy open read {lazy.RecordsScanned} of {last} records");
            Assert.True(lazy.RecordsScanned > 0);
            Assert.True(lazy.Bytes >= full.Bytes, "RecordBytesFrom stays an upper bound");

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(last + 30, verify.LastIndex);
        }

        /// <summary>
        /// Random single-byte damage anywhere in a seven-segment journal (headers, records, padding, zero tails of any
        /// segment): Verify always reports it; a read-only open with LastSegment either reports the same fault, or cuts
        /// the same torn tail, or opens — and then a reader going through the whole journal reports it at Verify's
        /// file and offset. Nothing damaged is ever read back as good.
        /// </summary>
        [Fact]
        public void Random_damage_anywhere_is_found_at_Verifys_place_by_the_open_or_a_full_read()
        {
            Build(200);
            string[] files = SegmentFiles(_dir.Path);
            Assert.True(files.Length >= 7, $"{files.Length} segments");
            byte[][] originals = files.Select(File.ReadAllBytes).ToArray();
            var random = new Random(20261128);
            int byOpen = 0, byReader = 0, torn = 0;
            for (int trial = 0; trial < 300; trial++)
            {
                int f = random.Next(files.Length);
                // Half the flips in the first 4 KiB (headers and the first records), half anywhere.
                long offset = trial % 2 == 0 ? random.Next(4096) : random.NextInt64(originals[f].Length);
                Flip(files[f], offset);
                string context = $"trial {trial}: file {f} offset {offset}";
                JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
                Assert.False(verify.Ok, context);
                try
                {
                    using Journal j = Journal.OpenReadOnly(Lazy());
                    if (verify.IsTornTail)
                    {
                        Assert.True(j.RecoveryReport.TornTailFound, context);
                        torn++;
                    }
                    else
                    {
                        using JournalReader reader = j.OpenReader(j.FirstIndex);
                        JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => { while (reader.TryRead(out _)) { } });
                        Assert.True((verify.FilePath, verify.Offset) == (e.FilePath, e.Offset), $"{context}: reader {e.FilePath}@{e.Offset} ({e.Reason}), Verify {verify.FilePath}@{verify.Offset} ({verify.Reason})");
                        byReader++;
                    }
                }
                catch (JournalCorruptException e)
                {
                    Assert.True((verify.FilePath, verify.Offset) == (e.FilePath, e.Offset), $"{context}: open {e.FilePath}@{e.Offset} ({e.Reason}), Verify {verify.FilePath}@{verify.Offset} ({verify.Reason})");
                    byOpen++;
                }

                File.WriteAllBytes(files[f], originals[f]);
            }

            Assert.True(byReader > 100 && byOpen > 10, $"reader {byReader}, open {byOpen}, torn {torn}");
        }

        /// <summary>
        /// A segment is preallocated whole (fallocate); after a few records the rest is unwritten — a hole, zeros by
        /// definition. The checks for zeros after the records (open, recovery, a reader at a segment's end) skip holes
        /// instead of zero-filling them into the page cache page by page: opening a journal whose 64 MiB last segment
        /// holds a few records leaves about those records cached, not 64 MiB. Damage written into the hole is still
        /// found (it is data then).
        /// </summary>
        [Fact]
        public void The_unwritten_rest_of_a_preallocated_segment_is_not_read_by_the_checks_for_zeros()
        {
            const long segmentBytes = 64L << 20;
            // No pre-faulting: it populates the pages ahead of the writer on purpose (they would be the next appends).
            var options = new JournalOptions { Directory = _dir.Path, SegmentSizeBytes = segmentBytes, MaxRecordBytes = 16 * 1024, Fsync = FsyncPolicy.Batch, PrefaultAheadBytes = 0 };
            using (Journal j = Journal.Open(options))
            {
                AppendRange(j, 1, 20, Length);
            }

            string file = SegmentFiles(_dir.Path).Single();
            using (SegmentFile segment = SegmentFile.OpenRead(file))
            {
                // Evict what the writer left cached; then only what the open reads comes back.
                segment.DropCached(0, segment.MappedBytes);
                if (segment.NextDataOffset(1L << 20) < segment.MappedBytes)
                {
                    return; // this file system reports the preallocated rest as data: nothing to skip here
                }
            }

            using (Journal j = Journal.Open(options))
            {
                Assert.Equal(20, j.LastIndex);
            }

            long resident = SegmentFile.ResidentBytes(file);
            Assert.True(resident < 4L << 20, $"{resident:N0} bytes of the segment cached after the open");

            // A stray byte far into the hole is data now, and found.
            Flip(file, segmentBytes - 12_345);
            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => Journal.Open(options));
            Assert.Equal((file, segmentBytes - 12_345), (e.FilePath, e.Offset));
        }

        [Fact]
        public void Truncating_to_the_end_of_an_unread_segment_walks_it_then_appends_continue_its_chain()
        {
            long last = Build();
            string[] files = SegmentFiles(_dir.Path);
            long secondStarts = FirstIndexOf(files[1]);
            using (Journal j = Journal.Open(Lazy()))
            {
                Assert.Equal(files.Length - 1, j.RecoveryReport.SegmentsNotRead);
                j.TruncateAfter(secondStarts - 1); // drops every segment after the first, which was never read
                Assert.Equal(secondStarts - 1, j.LastIndex);
                Assert.Single(SegmentFiles(_dir.Path));
                AppendRange(j, secondStarts, 5, Length);
                AssertReads(j, 1, secondStarts + 4, Length);
            }

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(secondStarts + 4, verify.LastIndex);
            Assert.True(last > verify.LastIndex);
        }

        [Fact]
        public void Truncating_to_the_end_of_an_unread_segment_with_a_bad_record_refuses()
        {
            Build();
            string[] files = SegmentFiles(_dir.Path);
            long secondStarts = FirstIndexOf(files[1]);
            List<(long Index, long Start, long End)> records = JournalCrashTests.RecordExtents(File.ReadAllBytes(files[0]), 1);
            Flip(files[0], records[3].Start + JournalRecordHeader.SizeBytes + 5);

            using Journal j = Journal.Open(Lazy()); // the open does not read it
            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => j.TruncateAfter(secondStarts - 1));
            Assert.Equal(files[0], e.FilePath);
            Assert.Equal(records[3].Start, e.Offset);
            Assert.Equal(records[3].Index, e.Index);
        }

        [Fact]
        public void Truncating_inside_an_unread_segment_clears_only_what_follows_and_keeps_the_rest()
        {
            Build();
            string[] files = SegmentFiles(_dir.Path);
            long cut = FirstIndexOf(files[1]) + 2;
            using (Journal j = Journal.Open(Lazy()))
            {
                j.TruncateAfter(cut);
                Assert.Equal(cut, j.LastIndex);
                Assert.Equal(2, SegmentFiles(_dir.Path).Length);
                AppendRange(j, cut + 1, 40, Length); // rolls into new segments again
                AssertReads(j, 1, cut + 40, Length);
            }

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(cut + 40, verify.LastIndex);
        }

        [Fact]
        public void A_torn_last_header_makes_the_unread_segment_before_it_the_last_and_it_is_walked()
        {
            long last = Build();
            string[] files = SegmentFiles(_dir.Path);
            long lastStarts = FirstIndexOf(files[^1]);
            // An interrupted roll: the new segment's header never reached the disk.
            File.WriteAllBytes(files[^1], new byte[JournalOptions.MinSegmentSizeBytes]);

            using (Journal j = Journal.Open(Lazy()))
            {
                Assert.True(j.RecoveryReport.TornTailFound);
                Assert.Equal(lastStarts - 1, j.LastIndex);
                Assert.Equal(files.Length - 2, j.RecoveryReport.SegmentsNotRead);
                Assert.Equal(lastStarts, j.RecoveryReport.FirstDiscardedIndex);
                AppendRange(j, lastStarts, last - lastStarts + 1, Length);
            }

            Assert.True(Journal.Verify(_dir.Path, "journal").Ok);
        }

        [Fact]
        public void A_torn_last_header_after_an_unread_segment_with_a_bad_record_refuses_as_a_full_open_does()
        {
            Build();
            string[] files = SegmentFiles(_dir.Path);
            List<(long Index, long Start, long End)> records = JournalCrashTests.RecordExtents(File.ReadAllBytes(files[^2]), FirstIndexOf(files[^2]));
            Flip(files[^2], records[1].Start + JournalRecordHeader.SizeBytes + 1);
            File.WriteAllBytes(files[^1], new byte[JournalOptions.MinSegmentSizeBytes]);

            JournalCorruptException full = Assert.Throws<JournalCorruptException>(() => Journal.Open(Options(_dir.Path)));
            JournalCorruptException lazy = Assert.Throws<JournalCorruptException>(() => Journal.Open(Lazy()));
            Assert.Equal(full.FilePath, lazy.FilePath);
            Assert.Equal(full.Offset, lazy.Offset);
            Assert.Equal(full.Index, lazy.Index);
            Assert.Equal(files[^2], lazy.FilePath);
        }

        [Fact]
        public void A_checked_tail_reaches_back_past_the_last_segment_and_repair_cuts_only_there()
        {
            long last = Build(200);
            string[] files = SegmentFiles(_dir.Path);
            Assert.True(files.Length >= 6, $"{files.Length} segments");
            JournalOptions TailOpen(long tailBytes) => new()
            {
                Directory = _dir.Path, SegmentSizeBytes = SmallSegmentBytes, MaxRecordBytes = 16 * 1024, Fsync = FsyncPolicy.None,
                Repair = true, OpenValidation = JournalOpenValidation.LastSegment, OpenCheckTailBytes = tailBytes,
            };
            byte[][] originals = files.Select(File.ReadAllBytes).ToArray();

            // Damage in the second-to-last segment: a tail of one segment and a byte reaches it; the repair cuts there.
            long secondLastStarts = FirstIndexOf(files[^2]);
            List<(long Index, long Start, long End)> records = JournalCrashTests.RecordExtents(originals[^2], secondLastStarts);
            Flip(files[^2], records[2].Start + JournalRecordHeader.SizeBytes + 3);
            using (Journal j = Journal.Open(TailOpen(SmallSegmentBytes + 1)))
            {
                Assert.Equal(files.Length - 2, j.RecoveryReport.SegmentsNotRead);
                Assert.True(j.RecoveryReport.RepairPerformed);
                Assert.Equal(records[2].Index - 1, j.LastIndex);
                Assert.Equal(records[2].Index, j.RecoveryReport.FirstDiscardedIndex);
                AppendRange(j, records[2].Index, last - records[2].Index + 1, Length); // the derived records again
            }
            Assert.True(Journal.Verify(_dir.Path, "journal").Ok);

            // The same damage three segments back is outside that tail: the open neither reads nor cuts it.
            foreach (string f in SegmentFiles(_dir.Path)) File.Delete(f);
            for (int i = 0; i < files.Length; i++) File.WriteAllBytes(files[i], originals[i]);
            long thirdLastStarts = FirstIndexOf(files[^3]);
            records = JournalCrashTests.RecordExtents(originals[^3], thirdLastStarts);
            Flip(files[^3], records[2].Start + JournalRecordHeader.SizeBytes + 3);
            using (Journal j = Journal.Open(TailOpen(SmallSegmentBytes + 1)))
            {
                Assert.False(j.RecoveryReport.RepairPerformed);
                Assert.Equal(last, j.LastIndex);
                using JournalReader reader = j.OpenReader(thirdLastStarts);
                JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => { while (reader.TryRead(out _)) { } });
                Assert.Equal((files[^3], records[2].Start), (e.FilePath, e.Offset));
            }
            // A tail long enough to reach it (or AllRecords) does cut it.
            using (Journal j = Journal.Open(TailOpen(3 * SmallSegmentBytes)))
            {
                Assert.True(j.RecoveryReport.RepairPerformed);
                Assert.Equal(records[2].Index - 1, j.LastIndex);
            }
        }

        private static long FirstIndexOf(string segmentPath)
        {
            byte[] bytes = File.ReadAllBytes(segmentPath);
            return SegmentHeader.Read(bytes).FirstIndex;
        }

        private static void Flip(string path, long offset)
        {
            byte[] bytes = File.ReadAllBytes(path);
            bytes[offset] ^= 0x5A;
            File.WriteAllBytes(path, bytes);
        }
    }
}
