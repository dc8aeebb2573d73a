using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// BeginAppendUpTo / CommitAppend(length): the zero-copy append whose length is known only after the payload is
    /// written (the BLP's events). The result must be indistinguishable from a plain Append of the written prefix.
    /// </summary>
    public sealed class JournalAppendUpToTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        // Records 1..count, each reserved for far more than it writes, written through the up-to path.
        private static void AppendUpToRange(Journal journal, long fromIndex, long count, Func<long, int> length, int reserveBytes)
        {
            for (long i = fromIndex; i < fromIndex + count; i++)
            {
                Span<byte> area = journal.BeginAppendUpTo(TypeOf(i), i, TermOf(i), TimestampOf(i), reserveBytes, flags: (ushort)(i & 0xFF));
                Assert.Equal(reserveBytes, area.Length);
                Assert.True(area.IndexOfAnyExcept((byte)0) < 0, "a reservation must come back zeroed");
                Payload(i, length(i)).CopyTo(area);
                journal.CommitAppend(length(i));
            }
        }

        [Fact]
        public void Up_to_records_read_back_exactly_like_plain_appends_and_survive_reopen()
        {
            Func<long, int> length = i => (int)(i * 7919 % 3000);
            uint checksumUpTo;
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendUpToRange(journal, 1, 300, length, reserveBytes: 3100);
                Assert.Equal(300, journal.LastIndex);
                checksumUpTo = AssertReads(journal, 1, 300, length);
            }

            // The same records appended the ordinary way chain to the same checksums: byte-identical files.
            using (var plainDir = new TempDirectory())
            using (Journal plain = Journal.Open(Options(plainDir.Path)))
            {
                AppendRange(plain, 1, 300, length);
                Assert.Equal(checksumUpTo, plain.LastChecksum);
            }

            using Journal reopened = Journal.Open(Options(_dir.Path));
            Assert.False(reopened.RecoveryReport.TornTailFound);
            Assert.Equal(checksumUpTo, AssertReads(reopened, 1, 300, length));
            Assert.True(Journal.Verify(_dir.Path, "journal").Ok);
        }

        [Fact]
        public void Mixed_with_plain_appends_and_empty_records()
        {
            Func<long, int> length = i => i % 3 == 0 ? 0 : (int)(i * 31 % 500);
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                for (long i = 1; i <= 90; i++)
                {
                    if (i % 2 == 0) AppendUpToRange(journal, i, 1, length, reserveBytes: 600);
                    else AppendRange(journal, i, 1, length);
                }
            }

            using Journal reopened = Journal.Open(Options(_dir.Path));
            AssertReads(reopened, 1, 90, length);
        }

        [Fact]
        public void Commit_must_match_the_kind_of_reservation_and_stay_within_it()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            Span<byte> area = journal.BeginAppendUpTo(1, 1, 1, 10, 100);
            area[0] = 1;
            Assert.Throws<InvalidOperationException>(() => journal.CommitAppend());
            Assert.Throws<ArgumentOutOfRangeException>(() => journal.CommitAppend(101));
            Assert.Throws<ArgumentOutOfRangeException>(() => journal.CommitAppend(-1));
            Assert.Equal(0, journal.LastIndex);
            journal.CommitAppend(1);
            Assert.Equal(1, journal.LastIndex);

            journal.BeginAppend(1, 2, 1, 20, 10);
            Assert.Throws<InvalidOperationException>(() => journal.CommitAppend(5));
            journal.AbortAppend();
            Assert.Throws<InvalidOperationException>(() => journal.CommitAppend(0));
        }

        [Fact]
        public void Abort_zeroes_the_whole_reservation_so_later_records_recover_cleanly()
        {
            Func<long, int> length = i => 200;
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 3, length);
                Span<byte> area = journal.BeginAppendUpTo(1, 4, 1, 40, 5000);
                area.Fill(0xAB); // a writer that failed half-way
                journal.AbortAppend();
                AppendRange(journal, 4, 3, length); // shorter than the abandoned reservation
            }

            using Journal reopened = Journal.Open(Options(_dir.Path));
            Assert.False(reopened.RecoveryReport.TornTailFound);
            AssertReads(reopened, 1, 6, length);
        }

        [Fact]
        public void Record_bytes_from_an_index_bound_what_a_read_from_there_returns()
        {
            Func<long, int> length = i => (int)(i * 7919 % 3000);
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                Assert.Equal(0, journal.RecordBytesFrom(1));
                AppendRange(journal, 1, 600, length); // rolls over several small segments
                AssertBound(journal);
            }

            using Journal readOnly = Journal.OpenReadOnly(Options(_dir.Path));
            AssertBound(readOnly);

            void AssertBound(Journal journal)
            {
                long all = 0;
                for (long i = 1; i <= 600; i++) all += JournalRecordHeader.RecordBytesOnDisk(length(i));
                Assert.Equal(all, journal.RecordBytesFrom(1));
                long previous = long.MaxValue;
                foreach (long from in new long[] { 1, 100, 300, 599, 600, 601 })
                {
                    long tail = 0;
                    for (long i = from; i <= 600; i++) tail += length(i);
                    long bound = journal.RecordBytesFrom(from);
                    Assert.True(bound >= tail, $"from {from}: bound {bound} < payload {tail}");
                    Assert.True(bound <= previous, "a later start never needs more");
                    previous = bound;
                }

                Assert.True(journal.RecordBytesFrom(300) < journal.RecordBytesFrom(1), "whole segments before the index are skipped");

                // Up to an index: still a bound for [from, to], and segments after it are not counted.
                foreach ((long from, long to) in new (long, long)[] { (1, 50), (1, 300), (100, 400), (300, 300), (1, 600) })
                {
                    long payload = 0;
                    for (long i = from; i <= to; i++) payload += length(i);
                    long bound = journal.RecordBytesBetween(from, to);
                    Assert.True(bound >= payload, $"[{from}, {to}]: bound {bound} < payload {payload}");
                    Assert.True(bound <= journal.RecordBytesFrom(from), "an upper index never needs more");
                }

                Assert.True(journal.RecordBytesBetween(1, 50) < journal.RecordBytesFrom(1), "whole segments after the index are skipped");
                Assert.Equal(journal.RecordBytesFrom(1), journal.RecordBytesBetween(1, 600));
            }
        }

        [Fact]
        public void Crash_during_an_up_to_fill_is_a_torn_tail()
        {
            string[] files;
            Func<long, int> length = i => 100;
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 5, length);
                Span<byte> area = journal.BeginAppendUpTo(1, 6, 1, 1000, 4000);
                area[..1500].Fill(0x77); // partly filled when the process dies
                files = SegmentFiles(_dir.Path);
                File.Copy(files[0], files[0] + ".crash");
                journal.AbortAppend();
            }

            File.Move(files[0] + ".crash", files[0], overwrite: true);
            using Journal reopened = Journal.Open(Options(_dir.Path));
            Assert.True(reopened.RecoveryReport.TornTailFound);
            Assert.Equal(5, reopened.LastIndex);
            AssertReads(reopened, 1, 5, length);
        }
    }
}
