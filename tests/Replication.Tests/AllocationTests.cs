using Wallet.Engine.Journal;
using Wallet.Replication.Simulation;

namespace Wallet.Replication.Tests;

/// <summary>
/// Steady-state replication (propose → stream → append → flush → ack → commit) over the real journal allocates
/// nothing on the driver thread: measured with the thread's allocation counter around many rounds.
/// </summary>
public sealed class AllocationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Streaming_replication_over_the_journal_allocates_nothing_in_steady_state()
    {
        int[] members = [1, 2, 3];
        var wire = new Wire();
        var nodes = new RaftNode[3];
        var logs = new JournalRaftLog[3];
        var journals = new Journal[3];
        try
        {
            for (var i = 0; i < 3; i++)
            {
                journals[i] = Journal.Open(new JournalOptions
                {
                    Directory = Path.Combine(_dir.Path, $"n{i + 1}"),
                    SegmentSizeBytes = 32L << 20,
                    MaxRecordBytes = 8192,
                    Fsync = FsyncPolicy.None,
                });
                logs[i] = new JournalRaftLog(journals[i]);
                nodes[i] = new RaftNode(
                    new RaftOptions { NodeId = i + 1, Members = members, MaxMessageBytes = 64 << 10, MaxInFlightBytesPerFollower = 256 << 10, MaxEntryPayloadBytes = 4096 },
                    logs[i], new SimStateStore(), new SimRandom((ulong)i + 1), new WireOutbox(wire, i + 1));
            }

            long now = 0;
            RaftNode? leader = null;
            for (var t = 0; t < 5000 && leader is null; t++)
            {
                now++;
                foreach (var n in nodes) n.Tick(now);
                Pump(nodes, wire, now);
                foreach (var n in nodes)
                {
                    if (n.Role == RaftRole.Leader) leader = n;
                }
            }

            Assert.NotNull(leader);
            var payload = new byte[128];
            long ts = 1;
            void Round()
            {
                now++;
                foreach (var n in nodes) n.Tick(now);
                for (var k = 0; k < 32; k++) leader!.Propose(2, ts++, payload);
                Pump(nodes, wire, now);
            }

            for (var r = 0; r < 300; r++) Round(); // warm-up: JIT, tiered compilation, first-use buffers
            // Up to five windows of 250 rounds, one of which must allocate nothing: a per-round allocation lands in every
            // window, while a one-time one does not. A full-suite run once measured 56 bytes in the single 1,000-round
            // window this test had (likely a wait event made lazily on a lock's first contention between the journal's
            // writer and its drop-behind thread; it did not recur in isolation).
            long allocated = -1;
            var rounds = 0;
            for (var window = 0; window < 5 && allocated != 0; window++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var r = 0; r < 250; r++) Round();
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                rounds += 250;
            }

            Assert.True(leader!.CommitIndex > rounds * 32, $"commit {leader.CommitIndex}");
            Assert.Equal(0, allocated);
        }
        finally
        {
            foreach (var l in logs) l?.Dispose();
            foreach (var j in journals) j?.Dispose();
        }
    }

    private static void Pump(RaftNode[] nodes, Wire wire, long now)
    {
        foreach (var n in nodes) n.Flush(now);
        for (var round = 0; round < 8 && wire.Count > 0; round++)
        {
            wire.Swap();
            for (var i = 0; i < wire.DeliverCount; i++)
            {
                var (from, to, message) = wire.Get(i);
                nodes[to - 1].Receive(from, message.Span, now);
            }

            foreach (var n in nodes) n.Flush(now);
        }
    }

    /// <summary>Two preallocated message arenas: one being filled by sends, one being delivered.</summary>
    private sealed class Wire
    {
        private byte[] _fill = new byte[16 << 20];
        private byte[] _deliver = new byte[16 << 20];
        private (int From, int To, int Offset, int Length)[] _fillIndex = new (int, int, int, int)[65536];
        private (int From, int To, int Offset, int Length)[] _deliverIndex = new (int, int, int, int)[65536];
        private int _fillBytes;

        public int Count { get; private set; }
        public int DeliverCount { get; private set; }

        public void Add(int from, int to, ReadOnlySpan<byte> message)
        {
            message.CopyTo(_fill.AsSpan(_fillBytes));
            _fillIndex[Count++] = (from, to, _fillBytes, message.Length);
            _fillBytes += message.Length;
        }

        public void Swap()
        {
            (_fill, _deliver) = (_deliver, _fill);
            (_fillIndex, _deliverIndex) = (_deliverIndex, _fillIndex);
            DeliverCount = Count;
            Count = 0;
            _fillBytes = 0;
        }

        public (int From, int To, ReadOnlyMemory<byte> Message) Get(int i)
        {
            var (from, to, offset, length) = _deliverIndex[i];
            return (from, to, _deliver.AsMemory(offset, length));
        }
    }

    private sealed class WireOutbox(Wire wire, int from) : IRaftOutbox
    {
        public void Send(int toNode, ReadOnlySpan<byte> message) => wire.Add(from, toNode, message);
    }
}
