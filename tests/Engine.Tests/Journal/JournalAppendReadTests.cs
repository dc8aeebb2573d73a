using System.Security.Cryptography;
using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    public sealed class JournalAppendReadTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void Brand_new_journal_is_empty()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            Assert.Equal(1, journal.FirstIndex);
            Assert.Equal(0, journal.LastIndex);
            Assert.Equal(0u, journal.LastChecksum);
            using JournalReader reader = journal.OpenReader(1);
            Assert.False(reader.TryRead(out _));
            Assert.Empty(SegmentFiles(_dir.Path));
        }

        [Fact]
        public void Many_records_round_trip_across_segment_rolls()
        {
            Func<long, int> length = i => (int)(i * 7919 % 3000);
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 600, length);
                Assert.Equal(1, journal.FirstIndex);
                Assert.Equal(600, journal.LastIndex);
                Assert.Equal(TimestampOf(600), journal.LastTimestamp);
                Assert.Equal(TermOf(600), journal.LastTerm);
                uint last = AssertReads(journal, 1, 600, length);
                Assert.Equal(journal.LastChecksum, last);
            }

            string[] files = SegmentFiles(_dir.Path);
            Assert.True(files.Length >= 10, $"expected many segments, got {files.Length}");
            Assert.EndsWith("journal-00000000000000000001.seg", files[0], StringComparison.Ordinal);
            Assert.All(files, f => Assert.Equal(SmallSegmentBytes, new FileInfo(f).Length));

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(600, verify.RecordCount);
            Assert.Equal(600, verify.LastIndex);
            Assert.Equal(files.Length, verify.SegmentsScanned);
        }

        [Fact]
        public void Reader_from_the_middle_and_from_segment_boundaries()
        {
            Func<long, int> length = i => (int)(i * 7919 % 3000);
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 200, length);
            var starts = new List<long> { 1, 2, 57, 199, 200 };
            foreach (string file in SegmentFiles(_dir.Path))
            {
                long first = long.Parse(Path.GetFileNameWithoutExtension(file)["journal-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                starts.Add(first);
                if (first > 1)
                {
                    starts.Add(first - 1);
                }
            }

            foreach (long start in starts)
            {
                AssertReads(journal, start, 200, length);
            }

            using JournalReader atEnd = journal.OpenReader(201);
            Assert.False(atEnd.TryRead(out _));
        }

        [Fact]
        public void Reader_follows_the_writer_and_respects_an_upper_bound()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            using JournalReader reader = journal.OpenReader(1);
            long expected = 1;
            for (int round = 0; round < 8; round++)
            {
                AppendRange(journal, journal.LastIndex + 1, 40, _ => 2000);
                Assert.False(reader.TryRead(expected - 1, out _));
                while (reader.TryRead(out JournalRecord r))
                {
                    Assert.Equal(expected, r.Index);
                    Assert.True(r.Payload.SequenceEqual(Payload(expected, 2000)));
                    expected++;
                }
            }

            Assert.Equal(321, expected);
            Assert.True(SegmentFiles(_dir.Path).Length > 5);
        }

        [Fact]
        public void Reader_can_run_on_another_thread_while_the_writer_appends()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            const long total = 3000;
            long readCount = 0;
            Exception? failure = null;
            using var published = new SemaphoreSlim(0);
            var readerThread = new Thread(() =>
            {
                try
                {
                    using JournalReader reader = journal.OpenReader(1);
                    long next = 1;
                    while (next <= total)
                    {
                        if (!reader.TryRead(out JournalRecord r))
                        {
                            Assert.True(published.Wait(TimeSpan.FromSeconds(10)), "writer stalled");
                            continue;
                        }

                        Assert.Equal(next, r.Index);
                        Assert.True(r.Payload.SequenceEqual(Payload(next, DefaultLength(next))));
                        next++;
                    }

                    readCount = next - 1;
                }
                catch (Exception e)
                {
                    failure = e;
                }
            });
            readerThread.Start();
            for (long i = 1; i <= total; i += 50)
            {
                AppendRange(journal, i, 50);
                published.Release();
            }

            published.Release(1000);
            Assert.True(readerThread.Join(TimeSpan.FromSeconds(20)), "reader did not finish");
            Assert.Null(failure);
            Assert.Equal(total, readCount);
        }

        [Fact]
        public void Restart_reopens_and_continues_the_chain()
        {
            uint checksum;
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 300);
                checksum = journal.LastChecksum;
            }

            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                Assert.Equal(300, journal.LastIndex);
                Assert.Equal(checksum, journal.LastChecksum);
                Assert.Equal(TimestampOf(300), journal.LastTimestamp);
                Assert.Equal(TermOf(300), journal.LastTerm);
                Assert.False(journal.RecoveryReport.TornTailFound);
                Assert.Equal(300, journal.RecoveryReport.RecordsScanned);
                AppendRange(journal, 301, 100);
                using JournalReader reader = journal.OpenReader(301);
                Assert.True(reader.TryRead(out JournalRecord r));
                Assert.Equal(checksum, r.PrevChecksum);
            }

            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AssertReads(journal, 1, 400);
            }

            Assert.True(Journal.Verify(_dir.Path, "journal").Ok);
        }

        [Fact]
        public void First_record_of_a_new_journal_may_start_mid_log()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1000, 50);
                Assert.Equal(1000, journal.FirstIndex);
                Assert.Equal(1049, journal.LastIndex);
            }

            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                Assert.Equal(1000, journal.FirstIndex);
                AssertReads(journal, 1000, 1049);
                Assert.Throws<ArgumentOutOfRangeException>(() => journal.OpenReader(999));
                Assert.Throws<ArgumentOutOfRangeException>(() => journal.OpenReader(1051));
            }
        }

        [Fact]
        public void Zero_copy_append_and_abort()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                Span<byte> area = journal.BeginAppend(TypeOf(1), 1, TermOf(1), TimestampOf(1), 100, flags: 1);
                Payload(1, 100).CopyTo(area);
                Assert.Equal(0, journal.LastIndex);
                journal.CommitAppend();
                Assert.Equal(1, journal.LastIndex);

                Span<byte> abandoned = journal.BeginAppend(3, 2, 5, 99, 500);
                abandoned.Fill(0xAB);
                Assert.Throws<InvalidOperationException>(() => journal.BeginAppend(3, 2, 5, 99, 10));
                journal.AbortAppend();
                Assert.Equal(1, journal.LastIndex);
                AppendRange(journal, 2, 9, _ => 100);
            }

            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                Assert.False(journal.RecoveryReport.TornTailFound);
                AssertReads(journal, 1, 10, _ => 100);
            }
        }

        [Fact]
        public void Uncommitted_zero_copy_append_is_a_torn_tail_after_a_crash()
        {
            string[] files;
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 5);
                Span<byte> area = journal.BeginAppend(1, 6, 1, 1000, 64);
                area.Fill(0x77);
                // Simulate a crash: copy the file while the reservation is in the mapping, before commit.
                files = SegmentFiles(_dir.Path);
                File.Copy(files[0], files[0] + ".crash");
                journal.AbortAppend();
            }

            File.Move(files[0] + ".crash", files[0], overwrite: true);
            using Journal reopened = Journal.Open(Options(_dir.Path));
            Assert.True(reopened.RecoveryReport.TornTailFound);
            Assert.Equal(5, reopened.LastIndex);
        }

        [Theory]
        [InlineData(FsyncPolicy.None)]
        [InlineData(FsyncPolicy.Batch)]
        [InlineData(FsyncPolicy.Always)]
        public void Every_fsync_policy_persists_across_reopen(FsyncPolicy policy)
        {
            using (Journal journal = Journal.Open(Options(_dir.Path, policy)))
            {
                AppendRange(journal, 1, 60, _ => 2500);
                journal.Flush();
                AppendRange(journal, 61, 5, _ => 2500);
            }

            using Journal reopened = Journal.Open(Options(_dir.Path, policy));
            AssertReads(reopened, 1, 65, _ => 2500);
        }

        [Fact]
        public void Two_prefixes_share_a_directory_independently()
        {
            using (Journal commands = Journal.Open(Options(_dir.Path, prefix: "commands")))
            using (Journal events = Journal.Open(Options(_dir.Path, prefix: "events")))
            {
                AppendRange(commands, 1, 30);
                AppendRange(events, 500, 70);
            }

            using Journal c = Journal.Open(Options(_dir.Path, prefix: "commands"));
            using Journal e = Journal.Open(Options(_dir.Path, prefix: "events"));
            Assert.Equal(30, c.LastIndex);
            Assert.Equal(569, e.LastIndex);
            Assert.True(Journal.Verify(_dir.Path, "commands").Ok);
            Assert.Equal(70, Journal.Verify(_dir.Path, "events").RecordCount);
        }

        [Fact]
        public void Read_only_open_reads_and_never_modifies_files()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 120, _ => 1000);
            }

            // Tear the last record (cut the file inside it) so a writable open would cut it.
            string last = SegmentFiles(_dir.Path)[^1];
            long lastFirst = long.Parse(Path.GetFileNameWithoutExtension(last)["journal-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var extents = JournalCrashTests.RecordExtents(File.ReadAllBytes(last), lastFirst);
            using (var stream = new FileStream(last, FileMode.Open))
            {
                stream.SetLength(extents[^1].Start + 100);
            }

            Dictionary<string, string> before = HashFiles();
            using (Journal readOnly = Journal.OpenReadOnly(Options(_dir.Path)))
            {
                Assert.True(readOnly.IsReadOnly);
                Assert.True(readOnly.RecoveryReport.TornTailFound);
                Assert.Equal(0, readOnly.RecoveryReport.BytesTruncated);
                long lastIndex = readOnly.LastIndex;
                Assert.Equal(119, lastIndex);
                AssertReads(readOnly, 1, lastIndex, _ => 1000);
                Assert.Throws<InvalidOperationException>(() => readOnly.Append(1, lastIndex + 1, 1, 10_000, new byte[1]));
                Assert.Throws<InvalidOperationException>(() => readOnly.TruncateAfter(1));
                Assert.Throws<InvalidOperationException>(() => readOnly.DeleteSegmentsBefore(50));
                readOnly.Flush();
            }

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.False(verify.Ok);
            Assert.True(verify.IsTornTail);
            Assert.Equal(last, verify.FilePath);
            Assert.Equal(before, HashFiles());
        }

        [Fact]
        public void Read_only_open_of_missing_directory_throws()
        {
            string missing = Path.Combine(_dir.Path, "nope");
            Assert.Throws<DirectoryNotFoundException>(() => Journal.OpenReadOnly(Options(missing)));
            Assert.Throws<DirectoryNotFoundException>(() => Journal.Verify(missing, "journal"));
            Assert.Throws<ArgumentException>(() => Journal.OpenReadOnly(Options(_dir.Path, repair: true)));
        }

        private Dictionary<string, string> HashFiles()
        {
            var result = new Dictionary<string, string>();
            foreach (string f in Directory.GetFiles(_dir.Path))
            {
                result[f] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
            }

            return result;
        }
    }
}
