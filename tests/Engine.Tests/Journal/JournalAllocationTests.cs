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

            // Steady state: tiered JIT may still swap in optimised code (on-stack replacement allocates a little on this
            // thread) during the first window on a loaded runner — seen once in CI. Up to three windows; one must be 0.
            long allocated = long.MaxValue;
            int windows = 0;
            while (allocated != 0 && windows < 3)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                Run(journal, reader, payload, ref index, ref read, 5000);
                allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
                windows++;
            }

            Assert.Equal(0, allocated);
            Assert.Equal(500 + (windows * 5000), journal.LastIndex);
            Assert.Equal(500 + (windows * 5000), read);
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
