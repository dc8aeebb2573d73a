using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    public sealed class JournalTruncateRetentionTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData(295)] // inside the last segment
        [InlineData(100)] // an earlier segment: later segments are deleted
        [InlineData(1)]
        public void TruncateAfter_then_append_continues_the_chain(long keep)
        {
            Func<long, int> length = i => 1000 + (int)(i % 50);
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 300, length);
                uint checksumAtKeep = ChecksumOf(journal, keep);
                int filesBefore = SegmentFiles(_dir.Path).Length;

                journal.TruncateAfter(keep);
                Assert.Equal(keep, journal.LastIndex);
                Assert.Equal(checksumAtKeep, journal.LastChecksum);
                Assert.Equal(TimestampOf(keep), journal.LastTimestamp);
                Assert.True(SegmentFiles(_dir.Path).Length <= filesBefore);
                AssertReads(journal, 1, keep, length);

                // Different contents this time: a follower replacing a conflicting suffix.
                AppendRange(journal, keep + 1, 20, _ => 77);
                using JournalReader reader = journal.OpenReader(keep + 1);
                Assert.True(reader.TryRead(out JournalRecord r));
                Assert.Equal(checksumAtKeep, r.PrevChecksum);
                Assert.Equal(77, r.Payload.Length);
            }

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(keep + 20, verify.LastIndex);
            using Journal reopened = Journal.Open(Options(_dir.Path));
            Assert.Equal(keep + 20, reopened.LastIndex);
            AssertReads(reopened, keep + 1, keep + 20, _ => 77);
        }

        [Fact]
        public void ResetAfter_restarts_empty_after_an_index_keeps_the_boundary_and_verifies()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 150, _ => 3000);
                Assert.True(SegmentFiles(_dir.Path).Length > 1);
                Assert.Equal(0, journal.TermBeforeFirst);

                // A snapshot at 1000 (term 4) was installed: nothing before it is held, time continues after it.
                long boundaryTs = TimestampOf(150) + 1_000_000;
                journal.ResetAfter(1000, 4, boundaryTs);
                Assert.Single(SegmentFiles(_dir.Path));
                Assert.Equal(1001, journal.FirstIndex);
                Assert.Equal(1000, journal.LastIndex);
                Assert.Equal(4, journal.TermBeforeFirst);
                Assert.Equal(4, journal.LastTerm);
                Assert.Equal(boundaryTs, journal.LastTimestamp);
                Assert.Throws<ArgumentException>(() => journal.Append(1, 1002, 4, boundaryTs + 1, [1]));
                Assert.Throws<ArgumentException>(() => journal.Append(1, 1001, 4, boundaryTs - 1, [1]));
                journal.Append(1, 1001, 5, boundaryTs + 1, [1, 2, 3]);
                journal.Flush();
            }

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(1001, verify.FirstIndex);
            Assert.Equal(1001, verify.LastIndex);
            using Journal reopened = Journal.Open(Options(_dir.Path));
            Assert.Equal(1001, reopened.FirstIndex);
            Assert.Equal(4, reopened.TermBeforeFirst);
            using JournalReader reader = reopened.OpenReader(1001);
            Assert.True(reader.TryRead(out JournalRecord r));
            Assert.Equal(5, r.Term);
            Assert.Equal(3, r.Payload.Length);
        }

        [Fact]
        public void TruncateAfter_at_a_segment_boundary_and_to_empty()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 150, _ => 3000);
            string[] files = SegmentFiles(_dir.Path);
            long secondFirst = long.Parse(Path.GetFileNameWithoutExtension(files[1])["journal-".Length..], System.Globalization.CultureInfo.InvariantCulture);

            journal.TruncateAfter(secondFirst - 1);
            Assert.Single(SegmentFiles(_dir.Path));
            Assert.Equal(secondFirst - 1, journal.LastIndex);
            AppendRange(journal, secondFirst, 1, _ => 3000);
            Assert.Equal(2, SegmentFiles(_dir.Path).Length);

            journal.TruncateAfter(0);
            Assert.Equal(0, journal.LastIndex);
            Assert.Equal(1, journal.FirstIndex);
            Assert.Equal(0u, journal.LastChecksum);
            Assert.Throws<ArgumentException>(() => journal.Append(1, 2, 0, 0, new byte[1]));
            AppendRange(journal, 1, 3);
            AssertReads(journal, 1, 3);
            Assert.Throws<ArgumentOutOfRangeException>(() => journal.TruncateAfter(4));
            Assert.Throws<ArgumentOutOfRangeException>(() => journal.TruncateAfter(-1));
        }

        [Fact]
        public void DeleteSegmentsBefore_keeps_the_chain_verifiable()
        {
            uint lastChecksum;
            long firstKept;
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 200, _ => 3000);
                int before = SegmentFiles(_dir.Path).Length;
                Assert.Equal(0, journal.DeleteSegmentsBefore(1));

                int deleted = journal.DeleteSegmentsBefore(100);
                Assert.True(deleted >= 3);
                Assert.Equal(before - deleted, SegmentFiles(_dir.Path).Length);
                firstKept = journal.FirstIndex;
                Assert.True(firstKept is > 1 and <= 100);
                Assert.Throws<ArgumentOutOfRangeException>(() => journal.OpenReader(firstKept - 1));
                AssertReads(journal, firstKept, 200, _ => 3000);

                // The last segment is never deleted.
                journal.DeleteSegmentsBefore(long.MaxValue);
                Assert.Single(SegmentFiles(_dir.Path));
                AppendRange(journal, 201, 10, _ => 3000);
                lastChecksum = journal.LastChecksum;
            }

            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.True(verify.Ok, verify.Reason);
            Assert.Equal(lastChecksum, verify.LastChecksum);
            using Journal reopened = Journal.Open(Options(_dir.Path));
            Assert.Equal(210, reopened.LastIndex);
            Assert.Equal(lastChecksum, reopened.LastChecksum);
            AssertReads(reopened, reopened.FirstIndex, 210, _ => 3000);
        }

        private static uint ChecksumOf(Journal journal, long index)
        {
            using JournalReader reader = journal.OpenReader(index);
            Assert.True(reader.TryRead(out JournalRecord r));
            return r.Checksum;
        }
    }
}
