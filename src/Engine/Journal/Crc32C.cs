using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using ArmCrc32 = System.Runtime.Intrinsics.Arm.Crc32;

namespace Wallet.Engine.Journal;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF).
/// System.IO.Hashing 10 only ships the IEEE CRC-32, so we implement it here: SSE4.2 / ARMv8 CRC
/// instructions when present, a table-driven fallback otherwise.
/// </summary>
public static class Crc32C
{
    /// <summary>The standard check value: CRC-32C of the ASCII bytes "123456789".</summary>
    public const uint CheckValue = 0xE3069283;

    private const uint ReflectedPolynomial = 0x82F63B78;

    private static readonly uint[] Table = BuildTable();

    // Interleaving: crc32 has a 3-cycle latency but issues every cycle, so one dependent stream runs at a third
    // of the instruction's throughput. Large inputs are cut into rounds of three StreamBlockBytes blocks hashed
    // as three independent streams, then joined with a table that advances a state over StreamBlockBytes zeros.
    internal const int StreamBlockBytes = 4096;
    private static readonly uint[] ShiftTable = BuildShiftTable();

    /// <summary>CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>
    /// Continues a finished CRC-32C over more bytes: Append(Compute(a), b) == Compute(a ++ b).
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~UpdateState(~crc, data);

    private static uint UpdateState(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            return UpdateSse42X64(state, data);
        }

        if (Sse42.IsSupported)
        {
            return UpdateSse42(state, data);
        }

        if (ArmCrc32.Arm64.IsSupported)
        {
            return UpdateArm64(state, data);
        }

        return UpdateSoftware(state, data);
    }

    private static uint UpdateSse42X64(uint state, ReadOnlySpan<byte> data)
    {
        ulong crc = state;
        int i = 0;
        if (data.Length >= 3 * StreamBlockBytes)
        {
            ref byte start = ref MemoryMarshal.GetReference(data);
            for (; data.Length - i >= 3 * StreamBlockBytes; i += 3 * StreamBlockBytes)
            {
                ref byte a = ref Unsafe.Add(ref start, i);
                ref byte b = ref Unsafe.Add(ref a, StreamBlockBytes);
                ref byte c = ref Unsafe.Add(ref b, StreamBlockBytes);
                ulong crcB = 0;
                ulong crcC = 0;
                for (int k = 0; k < StreamBlockBytes; k += 8)
                {
                    crc = Sse42.X64.Crc32(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref a, k)));
                    crcB = Sse42.X64.Crc32(crcB, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, k)));
                    crcC = Sse42.X64.Crc32(crcC, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref c, k)));
                }

                // state(A||B||C) = shift(shift(crcA) ^ crcB) ^ crcC: the raw state update is linear over GF(2).
                crc = ShiftOverBlock(ShiftOverBlock((uint)crc) ^ (uint)crcB) ^ (uint)crcC;
            }
        }

        for (; i + 8 <= data.Length; i += 8)
        {
            crc = Sse42.X64.Crc32(crc, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i, 8)));
        }

        uint crc32 = (uint)crc;
        for (; i < data.Length; i++)
        {
            crc32 = Sse42.Crc32(crc32, data[i]);
        }

        return crc32;
    }

    private static uint UpdateSse42(uint state, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            state = Sse42.Crc32(state, BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i, 4)));
        }

        for (; i < data.Length; i++)
        {
            state = Sse42.Crc32(state, data[i]);
        }

        return state;
    }

    private static uint UpdateArm64(uint state, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            state = ArmCrc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i, 8)));
        }

        for (; i < data.Length; i++)
        {
            state = ArmCrc32.ComputeCrc32C(state, data[i]);
        }

        return state;
    }

    /// <summary>Byte-at-a-time table fallback; internal so tests can pin it against the hardware path.</summary>
    internal static uint UpdateSoftware(uint state, ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        for (int i = 0; i < data.Length; i++)
        {
            state = table[(state ^ data[i]) & 0xFF] ^ (state >> 8);
        }

        return state;
    }

    /// <summary>Software-only CRC-32C (tests compare it with the accelerated path).</summary>
    internal static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~UpdateSoftware(0xFFFFFFFF, data);

    /// <summary>The raw state after StreamBlockBytes zero bytes, from four byte-indexed tables (a linear map).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ShiftOverBlock(uint state)
    {
        uint[] t = ShiftTable;
        return t[state & 0xFF] ^ t[256 + ((state >> 8) & 0xFF)] ^ t[512 + ((state >> 16) & 0xFF)] ^ t[768 + (state >> 24)];
    }

    private static uint[] BuildShiftTable()
    {
        // Image of each state bit over the zero block (by the reference implementation), then every byte value of
        // each of the four state bytes as the XOR of its bits' images.
        Span<byte> zeros = new byte[StreamBlockBytes];
        Span<uint> bitImage = stackalloc uint[32];
        for (int bit = 0; bit < 32; bit++)
        {
            bitImage[bit] = UpdateSoftware(1u << bit, zeros);
        }

        uint[] table = new uint[4 * 256];
        for (int part = 0; part < 4; part++)
        {
            for (int value = 0; value < 256; value++)
            {
                uint image = 0;
                for (int bit = 0; bit < 8; bit++)
                {
                    if ((value & (1 << bit)) != 0)
                    {
                        image ^= bitImage[(part * 8) + bit];
                    }
                }

                table[(part * 256) + value] = image;
            }
        }

        return table;
    }

    private static uint[] BuildTable()
    {
        uint[] table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? ReflectedPolynomial ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
