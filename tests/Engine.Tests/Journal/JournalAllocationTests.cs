using Wallet.Engine.Journal;
using static Wallet.Engine.Tests.Journal.JournalTestKit;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    /// <summary>Append and TryRead allocate nothing in steady state (no segment roll inside the measured window).</summary>
    public sealed class JournalAllocationTests : IDisposable
    {
        private readonly TempDirectory _dir = new();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData(FsyncPolicy.None)]
        [InlineData(FsyncPolicy.Batch)]
        public void Append_flush_and_read_do_not_allocate(FsyncPolicy policy)
        {
            using Journal journal = Journal.Open(Options(_dir.Path, policy, segmentBytes: 4L * 1024 * 1024));
            byte[] payload = new byte[40];
            using JournalReader reader = journal.OpenReader(1);
            long index = 1;
            long read = 0;
            Run(journal, reader, payload, ref index, ref read, 500); // warm up: first segment, JIT, statics

            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(journal, reader, payload, ref index, ref read, 5000);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(0, allocated);
            Assert.Equal(5500, journal.LastIndex);
            Assert.Equal(5500, read);
            Assert.Single(SegmentFiles(_dir.Path));
        }

        private static void Run(Journal journal, JournalReader reader, byte[] payload, ref long index, ref long read, int count)
        {
            for (int i = 0; i < count; i++)
            {
                payload[0] = (byte)index;
                journal.Append(7, index, 1, index, payload);
                index++;
                if (i % 100 == 99)
                {
                    journal.Flush();
                    while (reader.TryRead(out JournalRecord r))
                    {
                        read += r.Payload[0] == (byte)r.Index ? 1 : 0;
                    }
                }
            }
        }
    }
}
