using System.Runtime.InteropServices;
using Wallet.Engine.Ledger;
using Wallet.Engine.ReadModel;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The compact stored transfer (view format 3): every transfer round-trips byte for byte (all 128 bytes, the id taken
/// from the key), optional fields cost nothing when zero, the size bound holds, and a cut, forged or padded value is
/// <see cref="InvalidDataException"/>, never another exception.
/// </summary>
public sealed class TransferRowCodecTests
{
    private static readonly ulong[] Extremes = [0, 1, 127, 128, 65535, 65536, uint.MaxValue, (ulong)uint.MaxValue + 1, long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue];

    [Fact]
    public void Random_and_extreme_transfers_round_trip_byte_for_byte()
    {
        var random = new Random(1127);
        byte[] buffer = new byte[TransferRowCodec.MaxEncodedBytes];
        for (int round = 0; round < 5000; round++)
        {
            Transfer t = RandomTransfer(random, round);
            long index = round % 4 == 0 ? (long)Pick(random) : random.NextInt64(1, long.MaxValue);
            int length = TransferRowCodec.Encode(in t, index, buffer);
            Assert.InRange(length, 1 + 32 + 1 + 8 + 4, TransferRowCodec.MaxEncodedBytes);
            TransferRowCodec.Decode(t.Id, buffer.AsSpan(0, length), out Transfer back, out long backIndex);
            Assert.Equal(index, backIndex);
            Assert.True(Bytes(in t).SequenceEqual(Bytes(in back)), $"round {round}");
        }
    }

    [Fact]
    public void The_widest_value_fits_the_bound_and_a_plain_transfer_is_under_half_the_fixed_row()
    {
        byte[] buffer = new byte[TransferRowCodec.MaxEncodedBytes];
        var widest = new Transfer
        {
            Id = 1, DebitAccountId = UInt128.MaxValue, CreditAccountId = UInt128.MaxValue, PendingId = UInt128.MaxValue, UserData128 = UInt128.MaxValue,
            Amount = long.MinValue, UserData64 = ulong.MaxValue, Timestamp = -1, UserData32 = uint.MaxValue, TimeoutSeconds = uint.MaxValue,
            Ledger = uint.MaxValue, Code = ushort.MaxValue, Flags = (TransferFlags)ushort.MaxValue, Reserved = ulong.MaxValue,
        };
        Assert.Equal(TransferRowCodec.MaxEncodedBytes, TransferRowCodec.Encode(in widest, long.MinValue, buffer));

        // A posted transfer between two random 128-bit accounts, no user data: the common row.
        var plain = new Transfer
        {
            Id = 7, DebitAccountId = new UInt128(0x0192_3456_789a_bcde, 0xf012_3456_789a_bcde), CreditAccountId = new UInt128(0x0192_3456_0000_0001, 42),
            Amount = 12_345_00, Timestamp = 1_764_000_000_123_456_789, Ledger = 840, Code = 1,
        };
        int length = TransferRowCodec.Encode(in plain, 123_456_789, buffer);
        Assert.True(length < (Transfer.SizeBytes + 8) / 2, $"{length} bytes");
    }

    [Fact]
    public void Cut_forged_and_padded_values_are_invalid_data_never_another_exception()
    {
        var random = new Random(3);
        byte[] buffer = new byte[TransferRowCodec.MaxEncodedBytes + 1];
        Transfer t = RandomTransfer(random, 1);
        t.PendingId = 5;
        t.UserData64 = 300;
        t.Reserved = 9;
        int length = TransferRowCodec.Encode(in t, 77, buffer);
        for (int cut = 0; cut < length; cut++)
            Assert.Throws<InvalidDataException>(() => TransferRowCodec.Decode(1, buffer.AsSpan(0, cut), out _, out _));
        Assert.Throws<InvalidDataException>(() => TransferRowCodec.Decode(1, buffer.AsSpan(0, length + 1), out _, out _)); // a stray byte
        byte[] forged = buffer.AsSpan(0, length).ToArray();
        forged[0] |= 0x40;
        Assert.Throws<InvalidDataException>(() => TransferRowCodec.Decode(1, forged, out _, out _)); // unused presence bit
        // A code above 65535 (the varint after the ledger): 1 presence, 32 ids, amount, 8 stamp, ledger 1 byte.
        var small = new Transfer { Amount = 1, Ledger = 1, Code = 1 };
        int n = TransferRowCodec.Encode(in small, 1, buffer);
        byte[] bigCode = [.. buffer.AsSpan(0, 1 + 32 + 1 + 8 + 1), 0x80, 0x80, 0x04, .. buffer.AsSpan(1 + 32 + 1 + 8 + 2, n - (1 + 32 + 1 + 8 + 2))];
        Assert.Throws<InvalidDataException>(() => TransferRowCodec.Decode(1, bigCode, out _, out _));
        for (int trial = 0; trial < 20_000; trial++)
        {
            byte[] bad = buffer.AsSpan(0, length).ToArray();
            if (trial < length * 8) bad[trial / 8] ^= (byte)(1 << (trial % 8));
            else random.NextBytes(bad.AsSpan(0, random.Next(1, bad.Length + 1)));
            try { TransferRowCodec.Decode(1, bad, out _, out _); }
            catch (InvalidDataException) { }
        }
    }

    private static ReadOnlySpan<byte> Bytes(in Transfer t) => MemoryMarshal.AsBytes(new ReadOnlySpan<Transfer>(in t)).ToArray();

    private static ulong Pick(Random random) => random.Next(3) == 0 ? Extremes[random.Next(Extremes.Length)] : (ulong)random.NextInt64() << random.Next(0, 2);

    private static UInt128 Id(Random random) => random.Next(3) == 0 ? UInt128.Zero : new UInt128(Pick(random), Pick(random));

    private static Transfer RandomTransfer(Random random, int round) => new()
    {
        Id = new UInt128((ulong)random.NextInt64(), (ulong)round),
        DebitAccountId = Id(random),
        CreditAccountId = Id(random),
        PendingId = Id(random),
        UserData128 = Id(random),
        Amount = (long)Pick(random),
        UserData64 = Pick(random),
        Timestamp = (long)Pick(random),
        UserData32 = (uint)Pick(random),
        TimeoutSeconds = (uint)Pick(random),
        Ledger = (uint)Pick(random),
        Code = (ushort)Pick(random),
        Flags = (TransferFlags)(ushort)Pick(random),
        Reserved = random.Next(4) == 0 ? Pick(random) : 0,
    };
}
