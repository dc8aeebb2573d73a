using System.Buffers.Binary;
using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>
    /// Edits that keep every CRC valid (the record or segment header is re-checksummed after the edit):
    /// only the index rule, the hash chain and the timestamp rule can catch them.
    /// </summary>
    public sealed class JournalForgeryTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData(JournalRecordHeader.IndexOffset, "index")]
        [InlineData(JournalRecordHeader.PrevChecksumOffset, "hash chain")]
        [InlineData(JournalRecordHeader.TimestampOffset, "timestamp")]
        public void Re_checksummed_record_edits_are_detected(int fieldOffset, string reason)
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 10);
            }

            string file = SegmentFiles(_dir.Path)[0];
            byte[] bytes = File.ReadAllBytes(file);
            (long index, long start, long _) = JournalCrashTests.RecordExtents(bytes, 1)[4];
            Span<byte> header = bytes.AsSpan((int)start, JournalRecordHeader.SizeBytes);
            if (fieldOffset == JournalRecordHeader.TimestampOffset)
            {
                BinaryPrimitives.WriteInt64LittleEndian(header[fieldOffset..], 1); // earlier than record 4's timestamp
            }
            else
            {
                header[fieldOffset] ^= 0x01;
            }

            JournalRecordHeader h = JournalRecordHeader.Read(header);
            uint crc = JournalRecordHeader.ComputeChecksum(header, bytes.AsSpan((int)start + JournalRecordHeader.SizeBytes, h.PayloadLength));
            BinaryPrimitives.WriteUInt32LittleEndian(header[JournalRecordHeader.ChecksumOffset..], crc);
            File.WriteAllBytes(file, bytes);

            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => Journal.Open(Options(_dir.Path)));
            Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
            Assert.Equal(start, e.Offset);
            Assert.Equal(index, e.Index);
            JournalVerifyResult verify = Journal.Verify(_dir.Path, "journal");
            Assert.False(verify.Ok);
            Assert.Equal(4, verify.RecordCount);
        }

        [Fact]
        public void Re_checksummed_segment_seed_edit_breaks_the_chain_at_the_boundary()
        {
            using (Journal journal = Journal.Open(Options(_dir.Path)))
            {
                AppendRange(journal, 1, 40, _ => 3000);
            }

            string file = SegmentFiles(_dir.Path)[1];
            byte[] bytes = File.ReadAllBytes(file);
            SegmentHeader header = SegmentHeader.Read(bytes);
            header.ChainSeed ^= 0x80;
            header.WriteWithChecksum(bytes);
            File.WriteAllBytes(file, bytes);

            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => Journal.Open(Options(_dir.Path)));
            Assert.Equal(file, e.FilePath);
            Assert.Equal(SegmentHeader.ChainSeedOffset, e.Offset);
            Assert.Contains("hash chain", e.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public void Reader_rechecks_records_and_reports_corruption_with_file_and_offset()
        {
            using Journal journal = Journal.Open(Options(_dir.Path));
            AppendRange(journal, 1, 10);
            string file = SegmentFiles(_dir.Path)[0];
            (long _, long start, long _) = JournalCrashTests.RecordExtents(File.ReadAllBytes(file), 1)[6];
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
                stream.Position = start + JournalRecordHeader.SizeBytes;
                stream.WriteByte(0xEE);
            }

            using JournalReader reader = journal.OpenReader(1);
            for (int i = 0; i < 6; i++)
            {
                Assert.True(reader.TryRead(out _));
            }

            JournalCorruptException e = Assert.Throws<JournalCorruptException>(() => reader.TryRead(out _));
            Assert.Equal(file, e.FilePath);
            Assert.Equal(start, e.Offset);
            Assert.Equal(7, e.Index);
        }
    }
}
