using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// Staged records (built in a private buffer and written with one pwrite) and drop-behind (pages behind the writer
    /// written back and evicted) are performance paths only: the files must be byte-identical to the mapping's, every
    /// record must read back while they run, recovery must not change, and the page cache must stay bounded.
    /// </summary>
    public sealed class JournalStagedWriteTests : IDisposable
    {
        private const long SegmentBytes = 1L << 20;
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        private static JournalOptions With(string directory, int stagedMin, long keepBytes = 0, FsyncPolicy fsync = FsyncPolicy.None, long segmentBytes = SegmentBytes) => new()
        {
            Directory = directory,
            SegmentSizeBytes = segmentBytes,
            MaxRecordBytes = 64 * 1024,
            Fsync = fsync,
            FilePrefix = "journal",
            StagedWriteMinRecordBytes = stagedMin,
            PageCacheKeepBytes = keepBytes,
        };

        // Sizes from 0 to ~20 KB: with a 4 KiB threshold about four in five are staged, the rest stored into the mapping.
        private static int Length(long index) => (int)(index * 7919 % 20000);

        [Fact]
        public void Negative_settings_are_rejected_and_zero_is_off()
        {
            Assert.Throws<ArgumentException>(() => With(_dir.Path, -1).Validate());
            Assert.Throws<ArgumentException>(() => With(_dir.Path, 0, keepBytes: -1).Validate());
            With(_dir.Path, 0, keepBytes: 0).Validate();
        }

        [Theory]
        [InlineData(FsyncPolicy.None)]
        [InlineData(FsyncPolicy.Batch)]
        public void Files_are_byte_identical_whether_records_are_staged_or_stored(FsyncPolicy fsync)
        {
            string staged = System.IO.Path.Combine(_dir.Path, "staged");
            string stored = System.IO.Path.Combine(_dir.Path, "stored");
            long stagedCount = 0;
            foreach ((string dir, int min) in new[] { (staged, 4096), (stored, 0) })
            {
                using Journal journal = Journal.Open(With(dir, min, fsync: fsync));
                AppendRange(journal, 1, 200, Length); // ~2 MB: several segments
                // An up-to reservation committed shorter, and one aborted: both leave the next record where the mapping would.
                Span<byte> area = journal.BeginAppendUpTo(TypeOf(201), 201, TermOf(201), TimestampOf(201), 30_000);
                Assert.Equal(-1, area.IndexOfAnyExcept((byte)0)); // "the area is zero when returned"
                Payload(201, 9000).CopyTo(area);
                journal.CommitAppend(9000);
                Span<byte> aborted = journal.BeginAppend(TypeOf(202), 202, TermOf(202), TimestampOf(202), 12_000);
                aborted.Fill(0xAB);
                journal.AbortAppend();
                area = journal.BeginAppendUpTo(TypeOf(202), 202, TermOf(202), TimestampOf(202), 12_000);
                Assert.Equal(-1, area.IndexOfAnyExcept((byte)0)); // the aborted bytes did not survive in the buffer
                Payload(202, 5000).CopyTo(area);
                journal.CommitAppend(5000);
                journal.Flush();
                journal.TruncateAfter(150); // the writer moves back over staged records
                AppendRange(journal, 151, 80, Length);
                if (min > 0) stagedCount = journal.StagedRecords;
                else Assert.Equal(0, journal.StagedRecords);
            }

            Assert.True(stagedCount > 150, $"only {stagedCount} records were staged");
            string[] a = SegmentFiles(staged);
            string[] b = SegmentFiles(stored);
            Assert.True(a.Length >= 3, $"expected several segments, got {a.Length}");
            Assert.Equal(b.Select(System.IO.Path.GetFileName), a.Select(System.IO.Path.GetFileName));
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(File.ReadAllBytes(a[i]).AsSpan().SequenceEqual(File.ReadAllBytes(b[i])), $"{a[i]} differs");
            }

            Assert.True(Journal.Verify(staged, "journal").Ok);
            using Journal reopened = Journal.Open(With(staged, 4096));
            Assert.False(reopened.RecoveryReport.TornTailFound);
            Assert.Equal(230, reopened.LastIndex);
            AssertReads(reopened, 1, 230, Length);
        }

        [Fact]
        public async Task A_reader_on_another_thread_sees_every_staged_record_as_it_is_published()
        {
            string dir = System.IO.Path.Combine(_dir.Path, "live");
            const long Count = 600;
            using Journal journal = Journal.Open(With(dir, 4096, keepBytes: 256 * 1024));
            var reader = Task.Run(() =>
            {
                // Waits for each record (bounded), then checks it byte for byte.
                using JournalReader r = journal.OpenReader(1);
                long next = 1;
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (next <= Count && DateTime.UtcNow < deadline)
                {
                    if (!r.TryRead(out JournalRecord record))
                    {
                        Thread.Sleep(1);
                        continue;
                    }

                    Assert.Equal(next, record.Index);
                    Assert.True(record.Payload.SequenceEqual(Payload(next, Length(next))), $"record {next} differs");
                    next++;
                }

                return next - 1;
            });
            AppendRange(journal, 1, Count, Length); // ~6 MB through 1 MiB segments, dropped behind 256 KiB
            Assert.Equal(Count, await reader.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        [Fact]
        public void Drop_behind_keeps_the_page_cache_near_its_window_and_without_it_everything_stays()
        {
            if (!OperatingSystem.IsLinux()) return; // posix_fadvise and mincore: Linux only (the option does nothing elsewhere)

            const long KeepBytes = 512 * 1024;
            const long WrittenBytes = 24L << 20;
            long resident(string dir) => SegmentFiles(dir).Sum(SegmentFile.ResidentBytes);
            string on = System.IO.Path.Combine(_dir.Path, "on");
            string off = System.IO.Path.Combine(_dir.Path, "off");

            // fsync batch: each Flush leaves the pages clean, so eviction does not wait for writeback.
            using (Journal journal = Journal.Open(With(off, 4096, keepBytes: 0, fsync: FsyncPolicy.Batch, segmentBytes: 4L << 20)))
            {
                AppendSized(journal, WrittenBytes);
                Assert.True(resident(off) > WrittenBytes * 9 / 10, $"without drop-behind {resident(off):N0} of {WrittenBytes:N0} bytes are cached");
            }

            using (Journal journal = Journal.Open(With(on, 4096, keepBytes: KeepBytes, fsync: FsyncPolicy.Batch, segmentBytes: 4L << 20)))
            {
                AppendSized(journal, WrittenBytes);
                // The thread drops a step (a quarter window) at a time, behind the writer: allow the window, a step, and a
                // little more (a segment's header page and pages shared with the newest record).
                long bound = KeepBytes + KeepBytes / 4 + (256 * 1024);
                bool bounded = SpinWait.SpinUntil(() => resident(on) <= bound, TimeSpan.FromSeconds(20));
                Assert.True(bounded, $"{resident(on):N0} bytes still cached, bound {bound:N0}: " + string.Join(", ", SegmentFiles(on).Select(f => $"{System.IO.Path.GetFileName(f)} {SegmentFile.ResidentBytes(f):N0}")));
                Assert.True(journal.DropBehindCalls > 0);
                AssertReads(journal, 1, journal.LastIndex, SizedLength); // evicted records read back from the file
            }

            Assert.True(Journal.Verify(on, "journal").Ok);
        }

        [Fact]
        public void Drop_behind_evicts_what_a_reader_following_the_writer_has_passed()
        {
            if (!OperatingSystem.IsLinux()) return;

            // The kernel does not evict a page any mapping still maps: a reader (replication, the read model) releases
            // its mapping behind itself (JournalReader.ReleaseStepBytes), or everything it read would stay cached.
            const long KeepBytes = 4L << 20;
            const long SegmentSize = 32L << 20;
            string dir = System.IO.Path.Combine(_dir.Path, "followed");
            using Journal journal = Journal.Open(With(dir, 4096, keepBytes: KeepBytes, fsync: FsyncPolicy.Batch, segmentBytes: SegmentSize));
            using JournalReader reader = journal.OpenReader(1);
            long read = 0;
            for (int chunk = 0; chunk < 48; chunk++)
            {
                AppendSized(journal, 1L << 20); // 1 MiB, then the reader catches up: 16 MiB into the second segment at the end
                while (reader.TryRead(out JournalRecord record))
                {
                    Assert.Equal(read + 1, record.Index);
                    read++;
                }
            }

            Assert.Equal(journal.LastIndex, read);
            long resident() => SegmentFiles(dir).Sum(SegmentFile.ResidentBytes);
            // The window, a drop step, what the reader has not released yet (under one step of its own), and slack.
            // Without the reader's release the second segment's 16 MiB would all stay.
            long bound = KeepBytes + KeepBytes / 4 + JournalReader.ReleaseStepBytes + (512 * 1024);
            Assert.True(SpinWait.SpinUntil(() => resident() <= bound, TimeSpan.FromSeconds(20)), $"{resident():N0} bytes still cached with the reader open, bound {bound:N0}");
            AssertReads(journal, 1, journal.LastIndex, SizedLength);
        }

        [Fact]
        public void Opening_a_long_journal_leaves_only_its_last_window_cached()
        {
            if (!OperatingSystem.IsLinux()) return;

            // The open validates every segment; with a window, segments wholly before the last window's worth of files
            // leave the cache once checked, so a restart does not pull the whole journal into memory.
            string dir = System.IO.Path.Combine(_dir.Path, "reopened");
            using (Journal journal = Journal.Open(With(dir, 4096, keepBytes: 0, fsync: FsyncPolicy.Batch, segmentBytes: 4L << 20)))
            {
                AppendSized(journal, 24L << 20);
            }

            long resident() => SegmentFiles(dir).Sum(SegmentFile.ResidentBytes);
            using (Journal.Open(With(dir, 4096, keepBytes: 0, fsync: FsyncPolicy.Batch, segmentBytes: 4L << 20)))
            {
                Assert.True(resident() > (20L << 20), $"without a window the open leaves the journal cached: {resident():N0}");
            }

            using Journal reopened = Journal.Open(With(dir, 4096, keepBytes: 512 * 1024, fsync: FsyncPolicy.Batch, segmentBytes: 4L << 20));
            Assert.True(resident() <= (4L << 20) + (256 * 1024), $"{resident():N0} bytes cached after the open, more than the last segment");
            AssertReads(reopened, 1, reopened.LastIndex, SizedLength);
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Random_appends_truncations_and_resets_leave_the_same_files_with_or_without_staging_and_drop_behind(int seed)
        {
            // The same seeded sequence of operations on two journals — one stores every record into its mapping and keeps
            // its cache, the other stages large records, appends gathered ones and drops its cache behind a small window
            // across small segments — must leave byte-identical files and read back the same.
            string fast = System.IO.Path.Combine(_dir.Path, "fast");
            string plain = System.IO.Path.Combine(_dir.Path, "plain");
            var fastOptions = new JournalOptions
            {
                Directory = fast, SegmentSizeBytes = 256 * 1024, MaxRecordBytes = 48 * 1024, FilePrefix = "journal",
                StagedWriteMinRecordBytes = 2048, PageCacheKeepBytes = 64 * 1024, Fsync = FsyncPolicy.None,
            };
            var plainOptions = new JournalOptions
            {
                Directory = plain, SegmentSizeBytes = 256 * 1024, MaxRecordBytes = 48 * 1024, FilePrefix = "journal",
                StagedWriteMinRecordBytes = 0, PageCacheKeepBytes = 0, PrefaultAheadBytes = 0, Fsync = FsyncPolicy.None,
            };
            var random = new Random(seed);
            var lengths = new Dictionary<long, int>();
            using (Journal a = Journal.Open(fastOptions))
            using (Journal b = Journal.Open(plainOptions))
            {
                for (int step = 0; step < 1500; step++)
                {
                    int op = random.Next(100);
                    long next = a.LastIndex + 1;
                    if (op < 80 || a.LastIndex < a.FirstIndex + 5)
                    {
                        int length = random.Next(3) == 0 ? random.Next(2048, 40_000) : random.Next(0, 1500);
                        lengths[next] = length;
                        byte[] payload = Payload(next, length);
                        foreach (Journal j in new[] { a, b }) j.Append(TypeOf(next), next, TermOf(next), TimestampOf(next), payload, flags: (ushort)(next & 0xFF));
                    }
                    else if (op < 90)
                    {
                        // An up-to reservation committed shorter, staged or not by its reserved size.
                        int reserve = random.Next(2) == 0 ? 30_000 : 900;
                        int length = random.Next(0, reserve / 2);
                        lengths[next] = length;
                        foreach (Journal j in new[] { a, b })
                        {
                            Span<byte> area = j.BeginAppendUpTo(TypeOf(next), next, TermOf(next), TimestampOf(next), reserve, flags: (ushort)(next & 0xFF));
                            Payload(next, length).CopyTo(area);
                            j.CommitAppend(length);
                        }
                    }
                    else if (op < 97)
                    {
                        long to = a.LastIndex - random.Next(1, 6);
                        foreach (Journal j in new[] { a, b }) j.TruncateAfter(to);
                    }
                    else
                    {
                        foreach (Journal j in new[] { a, b }) j.AbortAppend(); // nothing pending: a no-op on both
                    }
                }

                Assert.Equal(b.LastIndex, a.LastIndex);
                Assert.True(a.StagedRecords > 0 && a.DropBehindCalls > 0, $"staged {a.StagedRecords}, drop calls {a.DropBehindCalls}");
                AssertReads(a, a.FirstIndex, a.LastIndex, i => lengths[i]);
            }

            string[] fa = SegmentFiles(fast), fb = SegmentFiles(plain);
            Assert.Equal(fb.Select(System.IO.Path.GetFileName), fa.Select(System.IO.Path.GetFileName));
            for (int i = 0; i < fa.Length; i++)
            {
                Assert.True(File.ReadAllBytes(fa[i]).AsSpan().SequenceEqual(File.ReadAllBytes(fb[i])), $"{fa[i]} differs");
            }

            Assert.True(Journal.Verify(fast, "journal").Ok);
        }

        [Fact]
        public void A_crash_while_a_staged_record_is_being_filled_leaves_nothing_of_it_in_the_file()
        {
            // Stored into the mapping, a half-filled record is on the page cache at once (recovery cuts it as a torn
            // tail). Staged, it is in the private buffer until its commit: a crash then leaves the journal ending at the
            // record before, with no tail to cut. Copy the files as the page cache holds them while the journal is still
            // open (what a process crash leaves), then recover the copy.
            string live = System.IO.Path.Combine(_dir.Path, "live");
            string crashed = System.IO.Path.Combine(_dir.Path, "crashed");
            Directory.CreateDirectory(crashed);
            using (Journal journal = Journal.Open(With(live, 4096)))
            {
                AppendRange(journal, 1, 60, Length);
                Span<byte> pending = journal.BeginAppendUpTo(TypeOf(61), 61, TermOf(61), TimestampOf(61), 30_000);
                Payload(61, 20_000).CopyTo(pending); // filled, never committed
                foreach (string file in SegmentFiles(live))
                {
                    File.Copy(file, System.IO.Path.Combine(crashed, System.IO.Path.GetFileName(file)));
                }
            }

            using (Journal recovered = Journal.Open(With(crashed, 4096)))
            {
                Assert.False(recovered.RecoveryReport.TornTailFound);
                Assert.Equal(60, recovered.LastIndex);
                AssertReads(recovered, 1, 60, Length);
                AppendRange(recovered, 61, 20, Length); // the chain continues where it ended
            }

            JournalVerifyResult verify = Journal.Verify(crashed, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(80, verify.LastIndex);
        }

        [Fact]
        public void Sealed_segments_are_closed_by_the_drop_behind_thread_and_at_dispose()
        {
            if (!OperatingSystem.IsLinux()) return;

            string dir = System.IO.Path.Combine(_dir.Path, "small");
            // 64 KiB segments and a 1 MiB window: more segments wait than the thread keeps (SegmentDropBehind.MaxSealed).
            var options = new JournalOptions
            {
                Directory = dir, SegmentSizeBytes = 64 * 1024, MaxRecordBytes = 16 * 1024, FilePrefix = "journal",
                StagedWriteMinRecordBytes = 4096, PageCacheKeepBytes = 1L << 20, Fsync = FsyncPolicy.None,
            };
            using (Journal journal = Journal.Open(options))
            {
                AppendRange(journal, 1, 800, i => (int)(i * 7919 % 12000));
                Assert.True(SegmentFiles(dir).Length > 40);
                Assert.True(OpenFilesUnder(dir) <= SegmentDropBehind.MaxSealed + 1, $"{OpenFilesUnder(dir)} segment files open");
            }

            Assert.Equal(0, OpenFilesUnder(dir));
            Assert.True(Journal.Verify(dir, "journal").Ok);
        }

        private static int SizedLength(long index) => 8000 + (int)(index * 7919 % 8000);

        private static void AppendSized(Journal journal, long totalBytes)
        {
            long written = 0;
            for (long i = journal.LastIndex + 1; written < totalBytes; i++)
            {
                int length = SizedLength(i);
                journal.Append(TypeOf(i), i, TermOf(i), TimestampOf(i), Payload(i, length), flags: (ushort)(i & 0xFF));
                journal.Flush();
                written += length;
            }
        }

        /// <summary>File descriptors of this process that point into <paramref name="directory"/>.</summary>
        private static int OpenFilesUnder(string directory)
        {
            string full = System.IO.Path.GetFullPath(directory) + System.IO.Path.DirectorySeparatorChar;
            int count = 0;
            foreach (string fd in Directory.GetFiles("/proc/self/fd"))
            {
                try
                {
                    string? target = new FileInfo(fd).LinkTarget;
                    if (target is not null && target.StartsWith(full, StringComparison.Ordinal)) count++;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }

            return count;
        }
    }
}
