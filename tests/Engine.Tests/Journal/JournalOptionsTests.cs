using Wallet.Engine.Journal;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    public sealed class JournalOptionsTests
    {
        [Fact]
        public void Defaults_are_valid()
        {
            var options = new JournalOptions { Directory = "/tmp/x" };
            options.Validate();
            Assert.Equal(64L * 1024 * 1024, options.SegmentSizeBytes);
            Assert.Equal(4 * 1024 * 1024, options.MaxRecordBytes);
            Assert.Equal("journal", options.FilePrefix);
            Assert.False(options.Repair);
        }

        [Theory]
        [InlineData("", 65536L, 1024, "journal", "Directory")]
        [InlineData("/tmp/x", 65535L, 1024, "journal", "SegmentSizeBytes")]
        [InlineData("/tmp/x", (1L << 30) + 8, 1024, "journal", "SegmentSizeBytes")]
        [InlineData("/tmp/x", 65540L, 1024, "journal", "SegmentSizeBytes")]
        [InlineData("/tmp/x", 65536L, 0, "journal", "MaxRecordBytes")]
        [InlineData("/tmp/x", 65536L, 65536, "journal", "MaxRecordBytes")]
        [InlineData("/tmp/x", 65536L, 1024, "", "FilePrefix")]
        [InlineData("/tmp/x", 65536L, 1024, "a/b", "FilePrefix")]
        public void Invalid_settings_are_rejected_naming_the_setting(string directory, long segmentBytes, int maxRecordBytes, string prefix, string setting)
        {
            var options = new JournalOptions { Directory = directory, SegmentSizeBytes = segmentBytes, MaxRecordBytes = maxRecordBytes, FilePrefix = prefix };
            ArgumentException e = Assert.Throws<ArgumentException>(options.Validate);
            Assert.Equal(setting, e.ParamName);
        }

        [Fact]
        public void Largest_record_that_fits_a_segment_is_accepted()
        {
            int max = (int)(JournalOptions.MinSegmentSizeBytes - SegmentHeader.SizeBytes - JournalRecordHeader.SizeBytes);
            new JournalOptions { Directory = "/tmp/x", SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = max }.Validate();
            Assert.Throws<ArgumentException>(() =>
                new JournalOptions { Directory = "/tmp/x", SegmentSizeBytes = JournalOptions.MinSegmentSizeBytes, MaxRecordBytes = max + 1 }.Validate());
        }
    }
}
