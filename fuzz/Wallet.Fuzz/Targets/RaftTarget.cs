using System.Buffers.Binary;
using Wallet.Replication;
using Wallet.Replication.Simulation;

namespace Wallet.Fuzz.Targets;

/// <summary>
/// Consensus messages as a replica's TCP port receives them: node 1 of a 3-member group is fed a sequence of
/// messages, each claiming to come from node 0–4 (itself and non-members included), with time moving on. Malformed
/// ones must be counted and dropped (<see cref="RaftNode.Receive"/>'s contract); well-formed but hostile ones must
/// never break the node's own invariants: the term never goes back (the simulated hard-state store throws if it
/// does), the commit index never passes the log's end nor goes back, and nothing throws.
/// Input: records <c>[from u8][advance_ms u8][length u16 LE][message]</c>.
/// </summary>
internal static class RaftTarget
{
    private static RaftOptions Options(int id) => new()
    {
        NodeId = id,
        Members = [1, 2, 3],
        ElectionTimeoutMs = 150,
        HeartbeatIntervalMs = 50,
        MaxMessageBytes = 64 * 1024,
        MaxEntryPayloadBytes = 1024,
        SnapshotChunkBytes = 4096,
        MaxSnapshotBytes = 1 << 20,
    };

    /// <summary>The log end and term node 1 reached in the last run (the tests check the seeds are real traffic).</summary>
    public static (long LastIndex, long Term, long Malformed) LastRun { get; private set; }

    public static void Run(ReadOnlySpan<byte> input)
    {
        var log = new SimLog();
        var node = new RaftNode(Options(1), log, new SimStateStore(), new SimRandom(1), new DropOutbox(), new SimSnapshotStore(new SimRandom(2), 0));
        long now = 0, commit = 0, term = 0;
        int pos = 0;
        while (pos + 4 <= input.Length)
        {
            int from = input[pos] % 5;
            now += input[pos + 1];
            int length = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(input[(pos + 2)..]), input.Length - pos - 4);
            pos += 4;
            node.Receive(from, input.Slice(pos, length), now);
            pos += length;
            node.Flush(now);
            node.Tick(now);
            if (node.Term < term) throw new FuzzFinding($"term went back from {term} to {node.Term}");
            if (node.CommitIndex < commit) throw new FuzzFinding($"commit index went back from {commit} to {node.CommitIndex}");
            if (node.CommitIndex > log.LastIndex) throw new FuzzFinding($"commit index {node.CommitIndex} past the log's end {log.LastIndex}");
            term = node.Term;
            commit = node.CommitIndex;
        }
        LastRun = (log.LastIndex, node.Term, node.Counters.MalformedMessages);
    }

    /// <summary>
    /// Real traffic towards node 1: nodes 2 and 3 elect a leader between themselves (node 1 is silent), the leader
    /// replicates a few entries; every message either sends to node 1 is recorded, in order, as one seed.
    /// </summary>
    public static IReadOnlyList<byte[]> Seeds()
    {
        var toNode1 = new MemoryStream();
        var wire = new List<(int From, int To, byte[] Message)>();
        var nodes = new RaftNode[4];
        for (int id = 2; id <= 3; id++)
        {
            int self = id;
            nodes[id] = new RaftNode(Options(id), new SimLog(), new SimStateStore(), new SimRandom((ulong)id * 7919), new ListOutbox(self, wire), new SimSnapshotStore(new SimRandom(3), 0));
        }
        long now = 0;
        byte[] payload = new byte[64];
        var seeds = new List<byte[]>();
        var head = new byte[4];
        for (int step = 0; step < 400; step++)
        {
            now += 5;
            for (int id = 2; id <= 3; id++) nodes[id].Tick(now);
            var delivering = wire.ToArray();
            wire.Clear(); // replies produced while delivering go out next step
            foreach (var m in delivering)
            {
                if (m.To == 1)
                {
                    head[0] = (byte)m.From;
                    head[1] = 5;
                    BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(2), (ushort)m.Message.Length);
                    toNode1.Write(head);
                    toNode1.Write(m.Message);
                }
                else
                {
                    nodes[m.To].Receive(m.From, m.Message, now);
                }
            }
            for (int id = 2; id <= 3; id++)
            {
                if (nodes[id].Role == RaftRole.Leader && step % 20 == 0) nodes[id].Propose(1, now * 1_000_000, payload.AsSpan(0, 1 + step % 60));
                nodes[id].Flush(now);
            }
            if (step is 100 or 399 && toNode1.Length > 0) seeds.Add(toNode1.ToArray());
        }
        return seeds;
    }

    private sealed class DropOutbox : IRaftOutbox
    {
        public void Send(int toNode, ReadOnlySpan<byte> message) { }
    }

    private sealed class ListOutbox(int self, List<(int From, int To, byte[] Message)> wire) : IRaftOutbox
    {
        public void Send(int toNode, ReadOnlySpan<byte> message) => wire.Add((self, toNode, message.ToArray()));
    }
}
