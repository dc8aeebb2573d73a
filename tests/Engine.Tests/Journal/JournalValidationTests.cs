using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    public sealed class JournalValidationTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void Rule_violations_are_rejected_and_leave_the_journal_unchanged()
        {
            using Journal journal = Journal.Open(Options(_dir.Path, maxRecordBytes: 1000));
            AppendRange(journal, 1, 10);
            uint checksum = journal.LastChecksum;
            byte[] payload = new byte[10];

            Assert.Equal("index", Assert.Throws<ArgumentException>(() => journal.Append(1, 12, 1, 1000, payload)).ParamName);
            Assert.Equal("index", Assert.Throws<ArgumentException>(() => journal.Append(1, 10, 1, 1000, payload)).ParamName);
            Assert.Equal("timestamp", Assert.Throws<ArgumentException>(() => journal.Append(1, 11, 1, TimestampOf(10) - 1, payload)).ParamName);
            Assert.Equal("type", Assert.Throws<ArgumentException>(() => journal.Append(0, 11, 1, 1000, payload)).ParamName);
            Assert.Equal("term", Assert.Throws<ArgumentException>(() => journal.Append(1, 11, -1, 1000, payload)).ParamName);
            Assert.Equal("payloadLength", Assert.Throws<ArgumentException>(() => journal.Append(1, 11, 1, 1000, new byte[1001])).ParamName);

            Assert.Equal(10, journal.LastIndex);
            Assert.Equal(checksum, journal.LastChecksum);

            // Equal timestamps are allowed (non-decreasing), as is the largest payload.
            journal.Append(1, 11, 1, TimestampOf(10), new byte[1000]);
            journal.Append(1, 12, 1, TimestampOf(10), ReadOnlySpan<byte>.Empty);
            Assert.Equal(12, journal.LastIndex);
        }

        [Fact]
        public void Brand_new_journal_rejects_index_zero()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            Assert.Throws<ArgumentException>(() => journal.Append(1, 0, 0, 0, new byte[1]));
            Assert.Throws<ArgumentException>(() => journal.Append(1, -5, 0, 0, new byte[1]));
        }

        [Fact]
        public void Disposed_journal_throws()
        {
            Journal journal = Journal.Open(Options(_dir.Path));
            journal.Dispose();
            Assert.Throws<ObjectDisposedException>(() => journal.Append(1, 1, 0, 0, new byte[1]));
            Assert.Throws<ObjectDisposedException>(() => journal.OpenReader(1));
            journal.Dispose();
        }

        [Fact]
        public void Larger_segment_size_on_reopen_is_used_for_new_segments()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 5);
            }

            using (Journal journal = Journal.Open(Options(_dir.Path, segmentBytes: 4 * SmallSegmentBytes, maxRecordBytes: 100_000)))
            {
                journal.Append(1, 6, TermOf(6), TimestampOf(6), Payload(6, 100_000));
                Assert.Equal(6, journal.LastIndex);
            }

            string[] files = SegmentFiles(_dir.Path);
            Assert.Equal(2, files.Length);
            Assert.Equal(4 * SmallSegmentBytes, new FileInfo(files[1]).Length);
            Assert.True(Journal.Verify(_dir.Path, "journal").Ok);
        }
    }
}
