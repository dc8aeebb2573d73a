using Wallet.Engine.Journal;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>A unique temp directory per test, deleted on Dispose.</summary>
    internal sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wallet-journal-tests-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose()
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
        }
    }

    /// <summary>Deterministic record contents so a test can recompute what index i must hold.</summary>
    internal static class JournalTestKit
    {
        public const long SmallSegmentBytes = JournalOptions.MinSegmentSizeBytes;

        public static JournalOptions Options(string directory, FsyncPolicy fsync = FsyncPolicy.None, bool repair = false, string prefix = "journal",
            long segmentBytes = SmallSegmentBytes, int maxRecordBytes = 16 * 1024, JournalOpenValidation validation = JournalOpenValidation.AllRecords) => new()
        {
            OpenValidation = validation,
            Directory = directory,
            SegmentSizeBytes = segmentBytes,
            MaxRecordBytes = maxRecordBytes,
            Fsync = fsync,
            Repair = repair,
            FilePrefix = prefix,
        };

        public static int DefaultLength(long index) => (int)(index * 7919 % 300);

        public static byte[] Payload(long index, int length)
        {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++)
            {
                bytes[i] = (byte)((index * 31) + (i * 7) + 1);
            }

            return bytes;
        }

        public static ushort TypeOf(long index) => (ushort)(1 + (index % 5));

        public static long TermOf(long index) => 1 + (index / 100);

        public static long TimestampOf(long index) => index * 10;

        public static void AppendRange(Journal journal, long fromIndex, long count, Func<long, int>? length = null)
        {
            length ??= DefaultLength;
            for (long i = fromIndex; i < fromIndex + count; i++)
            {
                journal.Append(TypeOf(i), i, TermOf(i), TimestampOf(i), Payload(i, length(i)), flags: (ushort)(i & 0xFF));
            }
        }

        /// <summary>Reads [fromIndex, toIndex] and checks every field; returns the checksum of the last record read.</summary>
        public static uint AssertReads(Journal journal, long fromIndex, long toIndex, Func<long, int>? length = null)
        {
            length ??= DefaultLength;
            uint lastChecksum = 0;
            using JournalReader reader = journal.OpenReader(fromIndex);
            for (long i = fromIndex; i <= toIndex; i++)
            {
                Assert.True(reader.TryRead(out JournalRecord r), $"record {i} missing");
                Assert.Equal(i, r.Index);
                Assert.Equal(TypeOf(i), r.Type);
                Assert.Equal(TermOf(i), r.Term);
                Assert.Equal(TimestampOf(i), r.Timestamp);
                Assert.Equal((ushort)(i & 0xFF), r.Flags);
                Assert.True(r.Payload.SequenceEqual(Payload(i, length(i))), $"payload of record {i} differs");
                lastChecksum = r.Checksum;
            }

            Assert.False(reader.TryRead(out _));
            return lastChecksum;
        }

        public static string[] SegmentFiles(string directory, string prefix = "journal")
        {
            string[] files = Directory.GetFiles(directory, prefix + "-*.seg");
            Array.Sort(files, StringComparer.Ordinal);
            return files;
        }
    }
}
