using System.Buffers.Binary;

namespace Wallet.Fuzz;

/// <summary>
/// Deterministic byte mutations for the in-process smoke runs (no AFL needed): flips, interesting integers written
/// over length and count fields, inserts, deletes, duplicated ranges and splices of another seed. The same seed value
/// gives the same inputs on every run, so a finding reproduces.
/// </summary>
internal sealed class Mutator(ulong seed)
{
    private static readonly ulong[] s_interesting = [0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0xFFFF_FFFF, long.MaxValue, ulong.MaxValue];
    private ulong _state = seed == 0 ? 0x9E37_79B9_7F4A_7C15UL : seed;

    /// <summary>xorshift64*: tiny, fast, and stable across runtimes.</summary>
    public ulong Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545_F491_4F6C_DD1DUL;
    }

    public int Below(int n) => n <= 0 ? 0 : (int)(Next() % (ulong)n);

    /// <summary>1–8 mutations of <paramref name="input"/>, bounded to <paramref name="maxBytes"/>.</summary>
    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> seeds, int maxBytes)
    {
        var bytes = new List<byte>(input);
        int rounds = 1 + Below(8);
        for (int r = 0; r < rounds; r++)
        {
            int at = Below(bytes.Count + 1);
            switch (Below(8))
            {
                case 0 when bytes.Count > 0: bytes[Math.Min(at, bytes.Count - 1)] ^= (byte)(1 << Below(8)); break;
                case 1 when bytes.Count > 0: bytes[Math.Min(at, bytes.Count - 1)] = (byte)Next(); break;
                case 2: Overwrite(bytes, at, s_interesting[Below(s_interesting.Length)], 1 << Below(4)); break;
                case 3: bytes.Insert(at, (byte)Next()); break;
                case 4 when bytes.Count > 0: bytes.RemoveRange(Math.Min(at, bytes.Count - 1), Math.Min(bytes.Count - Math.Min(at, bytes.Count - 1), 1 + Below(16))); break;
                case 5 when bytes.Count > 0:
                {
                    int from = Below(bytes.Count);
                    bytes.InsertRange(at, bytes.GetRange(from, Math.Min(bytes.Count - from, 1 + Below(64))));
                    break;
                }
                case 6: bytes.InsertRange(at, seeds[Below(seeds.Count)]); break;
                case 7 when bytes.Count > 0: bytes.RemoveRange(at == bytes.Count ? bytes.Count - 1 : at, 1); break;
            }
            if (bytes.Count > maxBytes) bytes.RemoveRange(maxBytes, bytes.Count - maxBytes);
        }
        return [.. bytes];
    }

    private static void Overwrite(List<byte> bytes, int at, ulong value, int width)
    {
        Span<byte> v = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(v, value);
        for (int i = 0; i < width && at + i < bytes.Count; i++) bytes[at + i] = v[i];
    }
}
