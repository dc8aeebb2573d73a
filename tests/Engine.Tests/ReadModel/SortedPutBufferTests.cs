using RocksDbSharp;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Support;

namespace Wallet.Engine.Tests.ReadModel;

public sealed class SortedPutBufferTests
{
    [Fact]
    public void PutsReachTheBatchInBytewiseKeyOrderAndTheLaterOfTwoEqualKeysWins()
    {
        using var dir = new TempDirectory();
        var buffer = new SortedPutBuffer();
        var random = new Random(11);
        var expected = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < 5000; i++)
        {
            // Keys of mixed lengths (1..40 bytes) sharing long prefixes, and many repeats: the cases the two cached
            // prefix words do not decide alone.
            byte[] key = new byte[1 + random.Next(40)];
            for (int k = 0; k < key.Length; k++) key[k] = (byte)random.Next(3);
            byte[] value = BitConverter.GetBytes(i);
            buffer.Put(key, value);
            expected[Convert.ToHexString(key)] = value;
        }

        using var db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true), dir.Path);
        using var batch = new WriteBatch();
        buffer.MoveTo(batch);
        Assert.Equal(0, buffer.Count);

        // The batch's own order: bytewise ascending, equal keys in insertion order.
        List<(byte[] Key, int Value)> order = ReadBatchRepresentation(batch.ToBytes());
        Assert.Equal(5000, order.Count);
        for (int i = 1; i < order.Count; i++)
        {
            int c = order[i - 1].Key.AsSpan().SequenceCompareTo(order[i].Key);
            Assert.True(c < 0 || (c == 0 && order[i - 1].Value < order[i].Value), $"entry {i} out of order");
        }

        db.Write(batch);
        foreach ((string hex, byte[] value) in expected)
        {
            Assert.Equal(value, db.Get(Convert.FromHexString(hex)));
        }
    }

    [Fact]
    public void MoveToEmptiesTheBufferForTheNextBatch()
    {
        var buffer = new SortedPutBuffer();
        buffer.Put([1, 2, 3], [9]);
        using (var first = new WriteBatch())
        {
            buffer.MoveTo(first);
            Assert.Equal(1, first.Count());
        }
        buffer.Put([4], [8]);
        using var second = new WriteBatch();
        buffer.MoveTo(second);
        Assert.Equal(1, second.Count());
    }

    /// <summary>
    /// Parses RocksDB's write-batch representation (12-byte header: sequence, count; then per put: type 1, varint key
    /// length, key, varint value length, value), the order RocksDB will insert in.
    /// </summary>
    private static List<(byte[] Key, int Value)> ReadBatchRepresentation(byte[] rep)
    {
        var list = new List<(byte[], int)>();
        int pos = 12;
        while (pos < rep.Length)
        {
            Assert.Equal(1, rep[pos++]);
            int keyLength = VarInt(rep, ref pos);
            byte[] key = rep.AsSpan(pos, keyLength).ToArray();
            pos += keyLength;
            int valueLength = VarInt(rep, ref pos);
            list.Add((key, BitConverter.ToInt32(rep, pos)));
            pos += valueLength;
        }
        return list;
    }

    private static int VarInt(byte[] rep, ref int pos)
    {
        int value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = rep[pos++];
            value |= (b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
