using System.Buffers.Binary;
using Wallet.Replication.Simulation;

namespace Wallet.Replication.Tests;

/// <summary>Consensus messages are untrusted input: anything malformed is counted and dropped, never a crash or a state change.</summary>
public sealed class MalformedMessageTests
{
    [Fact]
    public void Garbage_truncations_and_bit_flips_are_counted_and_dropped()
    {
        var c = new TestCluster(3);
        var node = c.Nodes[1];
        var valid = new[]
        {
            Messages.VoteRequest(5, 10, 4),
            Messages.VoteRequest(5, 10, 4, preVote: true),
            Messages.VoteResponse(5, true),
            Messages.VoteResponse(5, true, preVote: true),
            Messages.AppendResponse(5, true, 3, 3),
            Messages.AppendEntries(5, 0, 0, 0, (5, 2, 10, new byte[] { 1, 2, 3 }), (5, 2, 11, new byte[40])),
        };
        var random = new SimRandom(42);
        var malformed = 0L;
        foreach (var message in valid)
        {
            for (var cut = 0; cut < message.Length; cut++)
            {
                var before = node.Counters.MalformedMessages;
                node.Receive(2, message.AsSpan(0, cut), 0);
                Assert.Equal(before + 1, node.Counters.MalformedMessages);
                malformed++;
            }
        }

        for (var i = 0; i < 20_000; i++)
        {
            var message = (byte[])valid[random.NextInt(0, valid.Length)].Clone();
            var flips = random.NextInt(1, 4);
            for (var f = 0; f < flips; f++) message[random.NextInt(0, message.Length)] ^= (byte)random.NextInt(1, 256);
            node.Receive(random.NextInt(0, 5), message, 0); // also unknown senders and itself
            node.Flush(0);
        }

        for (var i = 0; i < 5_000; i++)
        {
            var junk = new byte[random.NextInt(0, 200)];
            for (var k = 0; k < junk.Length; k++) junk[k] = (byte)random.NextInt(0, 256);
            node.Receive(2, junk, 0);
        }

        Assert.True(node.Counters.MalformedMessages >= malformed + 5_000 - 10);
        Assert.Equal(0, node.Counters.ProtocolViolations);
    }

    [Fact]
    public void Specific_lies_are_rejected()
    {
        var c = new TestCluster(3);
        var node = c.Nodes[1];
        var message = Messages.AppendEntries(5, 0, 0, 0, (5, 2, 10, new byte[] { 1, 2, 3 }));

        // Blob length larger than the message.
        var lying = (byte[])message.Clone();
        var blobAt = 8 + 36;
        BinaryPrimitives.WriteUInt32LittleEndian(lying.AsSpan(blobAt), 10_000);
        AssertDropped(node, lying);

        // Entry count larger than the entries in the blob.
        lying = (byte[])message.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(lying.AsSpan(8 + 32), 2);
        AssertDropped(node, lying);

        // An entry from a term newer than the message's.
        AssertDropped(node, Messages.AppendEntries(5, 0, 0, 0, (6, 2, 10, [1])));

        // Entry type 0.
        AssertDropped(node, Messages.AppendEntries(5, 0, 0, 0, (5, 0, 10, [1])));

        // Wrong schema id.
        lying = (byte[])message.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(lying.AsSpan(4), 22337);
        AssertDropped(node, lying);

        // Unknown template.
        lying = (byte[])message.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(lying.AsSpan(2), 99);
        AssertDropped(node, lying);

        // Negative term; durable above match.
        AssertDropped(node, Messages.VoteRequest(-1, 0, 0));
        AssertDropped(node, Messages.AppendResponse(1, true, match: 2, durable: 3));

        Assert.Equal(0, c.Logs[1].LastIndex);
        Assert.Equal(0, node.Term);
    }

    private static void AssertDropped(RaftNode node, byte[] message)
    {
        var before = node.Counters.MalformedMessages;
        node.Receive(2, message, 0);
        Assert.Equal(before + 1, node.Counters.MalformedMessages);
    }
}
