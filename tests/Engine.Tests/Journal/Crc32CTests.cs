using System.Text;
using Wallet.Engine.Journal;

namespace Wallet.Engine.Tests.Journal
{
    // Inside Wallet.Engine.* the simple name "Journal" binds to a namespace before the type; alias it.
    using Journal = Wallet.Engine.Journal.Journal;

    public sealed class Crc32CTests
    {
        [Fact]
        public void Check_value_of_123456789()
        {
            byte[] data = Encoding.ASCII.GetBytes("123456789");
            Assert.Equal(0xE3069283u, Crc32C.Compute(data));
            Assert.Equal(Crc32C.CheckValue, Crc32C.ComputeSoftware(data));
        }

        [Fact]
        public void Rfc3720_vectors()
        {
            byte[] zeros = new byte[32];
            byte[] ones = Enumerable.Repeat((byte)0xFF, 32).ToArray();
            byte[] ascending = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
            byte[] descending = Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray();
            Assert.Equal(0x8A9136AAu, Crc32C.Compute(zeros));
            Assert.Equal(0x62A8AB43u, Crc32C.Compute(ones));
            Assert.Equal(0x46DD794Eu, Crc32C.Compute(ascending));
            Assert.Equal(0x113FDB5Cu, Crc32C.Compute(descending));
            Assert.Equal(0u, Crc32C.Compute(ReadOnlySpan<byte>.Empty));
        }

        [Fact]
        public void Accelerated_path_matches_software_and_appends_compose()
        {
            var random = new Random(12345);
            for (int length = 0; length < 300; length++)
            {
                byte[] data = new byte[length];
                random.NextBytes(data);
                uint whole = Crc32C.Compute(data);
                Assert.Equal(Crc32C.ComputeSoftware(data), whole);
                int split = length == 0 ? 0 : random.Next(length);
                Assert.Equal(whole, Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
            }
        }

        [Fact]
        public void Interleaved_large_inputs_match_software_around_every_round_boundary()
        {
            const int Round = 3 * Crc32C.StreamBlockBytes;
            var random = new Random(777);
            byte[] data = new byte[(5 * Round) + 4099];
            random.NextBytes(data);
            int[] lengths = [Round - 1, Round, Round + 1, Round + 7, Round + 8, 2 * Round - 8, 2 * Round, (3 * Round) + 4095, data.Length];
            foreach (int length in lengths)
            {
                foreach (int offset in new[] { 0, 1, 3 }) // unaligned starts
                {
                    ReadOnlySpan<byte> slice = data.AsSpan(offset, length - offset);
                    uint expected = Crc32C.ComputeSoftware(slice);
                    Assert.True(expected == Crc32C.Compute(slice), $"length {slice.Length} offset {offset}");
                    int split = random.Next(slice.Length);
                    Assert.Equal(expected, Crc32C.Append(Crc32C.Compute(slice[..split]), slice[split..]));
                }
            }

            Array.Clear(data); // all zeros, and all ones: the shift table must be exact for every state bit
            Assert.Equal(Crc32C.ComputeSoftware(data), Crc32C.Compute(data));
            Array.Fill(data, (byte)0xFF);
            Assert.Equal(Crc32C.ComputeSoftware(data), Crc32C.Compute(data));
        }
    }
}
