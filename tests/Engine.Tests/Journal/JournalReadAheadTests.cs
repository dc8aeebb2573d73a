using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// The read-ahead reader must return exactly what a <see cref="JournalReader"/> returns — every field, every payload
    /// byte, in order — across segments, chunk boundaries and records larger than a chunk; it must stop at its bound,
    /// report a corrupt record exactly as the plain reader does (after every record before it), and stop its thread
    /// when disposed early.
    /// </summary>
    public sealed class JournalReadAheadTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        // Lengths 0..~12 KiB with every residue mod 8 (padding), so small chunks hold a few records and many are cut.
        private static int VariedLength(long index) => (int)(index * 7919 % 12_289);

        [Theory]
        [InlineData(1 << 20, 1 << 20)] // production sizes, clamped to the range's bytes
        [InlineData(16 * 1024, 8 * 1024)] // a few records per chunk: many hand-overs
        [InlineData(1024, 512)] // most records larger than a chunk: chunks grow
        public void Returns_what_a_reader_returns(int chunkBytes, int publishBytes)
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 600, VariedLength);
            Assert.True(SegmentFiles(_dir.Path).Length > 3, "the range must cross segments");

            foreach (long from in new long[] { 1, 2, 299, 600 })
            {
                using JournalReader plain = journal.OpenReader(from);
                using var ahead = new JournalReadAhead(journal, from, long.MaxValue, chunkBytes, publishBytes);
                for (long i = from; i <= 600; i++)
                {
                    Assert.True(plain.TryRead(out JournalRecord expected));
                    Assert.True(ahead.TryRead(out JournalRecord actual), $"record {i} missing (from {from})");
                    Assert.Equal(i, actual.Index);
                    Assert.Equal(expected.Type, actual.Type);
                    Assert.Equal(expected.Flags, actual.Flags);
                    Assert.Equal(expected.Term, actual.Term);
                    Assert.Equal(expected.Timestamp, actual.Timestamp);
                    Assert.Equal(expected.Checksum, actual.Checksum);
                    Assert.Equal(expected.PrevChecksum, actual.PrevChecksum);
                    Assert.Equal(expected.OffsetBytes, actual.OffsetBytes);
                    Assert.True(actual.Payload.SequenceEqual(Payload(i, VariedLength(i))), $"payload of record {i} differs");
                }
                Assert.False(ahead.TryRead(out _));
                Assert.False(ahead.TryRead(out _)); // stays at the end
                Assert.Equal(600 - from + 1, ahead.RecordsRead);
            }
        }

        [Fact]
        public void Stops_at_its_upper_index()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 200);
            using var ahead = new JournalReadAhead(journal, 50, 120, chunkBytes: 2048, publishBytes: 1024);
            long next = 50;
            while (ahead.TryRead(out JournalRecord r))
            {
                Assert.Equal(next++, r.Index);
            }
            Assert.Equal(121, next);
        }

        [Fact]
        public void An_empty_range_ends_at_once()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 10);
            using var past = new JournalReadAhead(journal, 11);
            Assert.False(past.TryRead(out _));
            using var below = new JournalReadAhead(journal, 5, 4);
            Assert.False(below.TryRead(out _));
        }

        [Fact]
        public void A_corrupt_record_is_reported_like_the_reader_does_after_the_records_before_it()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 400, VariedLength);
            string first = SegmentFiles(_dir.Path)[0];
            List<(long Index, long Start, long End)> extents = JournalCrashTests.RecordExtents(File.ReadAllBytes(first), 1);
            (long bad, long start, long _) = extents[extents.Count / 2];
            Assert.True(VariedLength(bad) > 8);
            using (var stream = new FileStream(first, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Position = start + JournalRecordHeader.SizeBytes + 3; // a payload byte: the checksum fails
                int value = stream.ReadByte();
                stream.Position = start + JournalRecordHeader.SizeBytes + 3;
                stream.WriteByte((byte)(value ^ 0x5A));
            }

            JournalCorruptException expected;
            using (JournalReader plain = journal.OpenReader(1))
            {
                for (long i = 1; i < bad; i++) Assert.True(plain.TryRead(out _));
                expected = Assert.Throws<JournalCorruptException>(() => plain.TryRead(out _));
            }

            using var ahead = new JournalReadAhead(journal, 1, long.MaxValue, chunkBytes: 16 * 1024, publishBytes: 8 * 1024);
            for (long i = 1; i < bad; i++)
            {
                Assert.True(ahead.TryRead(out JournalRecord r));
                Assert.Equal(i, r.Index);
            }
            JournalCorruptException actual = Assert.Throws<JournalCorruptException>(() => ahead.TryRead(out _));
            Assert.Equal(expected.FilePath, actual.FilePath);
            Assert.Equal(expected.Message, actual.Message);
        }

        [Fact]
        public void Disposing_early_stops_the_thread_and_frees_the_journal()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 2000, VariedLength);
            for (int round = 0; round < 20; round++)
            {
                // Chunks far smaller than the range: the reader thread is blocked waiting for a free chunk when we stop.
                var ahead = new JournalReadAhead(journal, 1, long.MaxValue, chunkBytes: 4096, publishBytes: 2048);
                for (int i = 0; i < round; i++) Assert.True(ahead.TryRead(out _));
                ahead.Dispose(); // throws if the thread does not end within its bound
                Assert.Throws<ObjectDisposedException>(() => ahead.TryRead(out _));
            }
            // The journal is still usable: appends and plain reads go on.
            AppendRange(journal, 2001, 5, VariedLength);
            AssertReads(journal, 1990, 2005, VariedLength);
        }
    }
}
