using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// The compact stored history row (view format 3): every row round-trips exactly (extreme values included), the
/// size bound holds, rows out of order are refused when written, and any corrupt or cut chunk is an
/// <see cref="InvalidDataException"/> when read, never another exception and never a read past the value.
/// </summary>
public sealed class HistoryRowCodecTests
{
    private static readonly long[] Extremes = [0, 1, -1, 127, 128, -64, -65, long.MaxValue, long.MinValue, long.MaxValue - 1, long.MinValue + 1, 1_764_000_000_000_000_000];

    [Fact]
    public void Random_and_extreme_chunks_round_trip_exactly()
    {
        var random = new Random(20261127);
        var rows = new HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
        var decoded = new HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
        byte[] value = new byte[HistoryChunkBuilder.MaxRowsPerChunk * HistoryRowCodec.MaxEncodedBytes];
        byte[] key = new byte[ReadModelKeys.HistoryKeyBytes];
        for (int round = 0; round < 400; round++)
        {
            int n = round < 8 ? round + 1 : random.Next(1, HistoryChunkBuilder.MaxRowsPerChunk + 1);
            long index = round % 5 == 0 ? long.MaxValue - n - 1 : random.NextInt64(1, long.MaxValue / 2);
            uint ordinal = round % 7 == 0 ? uint.MaxValue - (uint)n - 1 : (uint)random.Next(0, 1000);
            for (int i = 0; i < n; i++)
            {
                if (i > 0)
                {
                    // Next row: same record (a later ordinal) or a later record (any ordinal, uint.MaxValue included).
                    // (On the rounds that start near long.MaxValue the index steps by 1 and still ends in range.)
                    if (random.Next(3) == 0 || ordinal == uint.MaxValue) { index += round % 5 == 0 || random.Next(2) == 0 ? 1 : random.NextInt64(1, 1L << 40); ordinal = round % 3 == 0 ? uint.MaxValue : (uint)random.Next(0, 5); }
                    else ordinal += 1;
                }
                rows[i] = RandomRow(random, round, index, ordinal);
            }
            int length = Encode(rows.AsSpan(0, n), value, key);
            Assert.True(length <= n * HistoryRowCodec.MaxEncodedBytes);
            int count = HistoryChunk.Decode(key, value.AsSpan(0, length), decoded);
            Assert.Equal(n, count);
            for (int i = 0; i < n; i++) Assert.Equal(rows[i], decoded[i]);
        }
    }

    [Fact]
    public void The_worst_row_fits_the_bound_and_a_typical_transfer_row_takes_at_most_64_bytes()
    {
        byte[] buffer = new byte[HistoryRowCodec.MaxEncodedBytes];
        var worst = new HistoryRow
        {
            Kind = LedgerEventKind.PendingExpired, Side = HistorySide.Credit, Index = long.MaxValue, Ordinal = uint.MaxValue,
            CommandTimestamp = long.MinValue, EventTimestamp = 0, TransferId = UInt128.MaxValue, CounterpartyId = UInt128.MaxValue,
            Amount = long.MinValue, After = new AccountBalances { DebitsPending = long.MinValue, DebitsPosted = long.MinValue, CreditsPending = long.MinValue, CreditsPosted = long.MinValue },
        };
        // Second row of a chunk against a previous row at index 0 with zero stamp and balances: every field at its widest
        // (every difference is long.MinValue, whose zigzag is 64 bits; the index delta is 2^63 − 1).
        var state = new HistoryRowCodec.State { Index = 0, Ordinal = 0, CommandTimestamp = 0, After = default, First = false };
        int written = HistoryRowCodec.Encode(ref state, in worst, buffer);
        Assert.Equal(HistoryRowCodec.MaxEncodedBytes, written);

        // A transfer's row as the projection writes it: 16-byte ids, a stamp near now, modest amounts and balances.
        var typical = new HistoryRow
        {
            Kind = LedgerEventKind.TransferPosted, Side = HistorySide.Debit, Index = 123_456_789, Ordinal = 4_000,
            CommandTimestamp = 1_764_000_000_123_456_789, EventTimestamp = 1_764_000_000_123_452_790, TransferId = new UInt128(0x0192_3456_789a_bcde, 0xf012_3456_789a_bcde),
            CounterpartyId = new UInt128(0x0192_3456_0000_0001, 0x0000_0000_0000_0042), Amount = 12_345_00,
            After = new AccountBalances { DebitsPending = 0, DebitsPosted = 987_654_321_00, CreditsPending = 0, CreditsPosted = 123_456_789_00 },
        };
        state = HistoryRowCodec.State.ForChunk(typical.Index, typical.Ordinal);
        written = HistoryRowCodec.Encode(ref state, in typical, buffer);
        // First row of its chunk (full stamp and balances, no previous row to differ from): 63 bytes vs 112.
        Assert.True(written <= 64, $"{written} bytes");
        // The next row of the same account in the chunk, a record later: only differences, 50 bytes (32 of them the two ids).
        var next = typical with { Index = typical.Index + 3, Ordinal = 17, CommandTimestamp = typical.CommandTimestamp + 5_000, EventTimestamp = typical.CommandTimestamp + 1_000, After = typical.After with { DebitsPosted = typical.After.DebitsPosted + typical.Amount } };
        written = HistoryRowCodec.Encode(ref state, in next, buffer);
        Assert.True(written <= 50, $"{written} bytes");
    }

    [Fact]
    public void Rows_out_of_order_or_outside_the_domain_are_refused_when_written()
    {
        byte[] buffer = new byte[HistoryRowCodec.MaxEncodedBytes];
        var row = new HistoryRow { Kind = LedgerEventKind.TransferPosted, Index = 10, Ordinal = 3 };
        var state = HistoryRowCodec.State.ForChunk(10, 4);
        Assert.Throws<ArgumentException>(() => HistoryRowCodec.Encode(ref state, in row, buffer)); // first row is not the key
        state = HistoryRowCodec.State.ForChunk(10, 3);
        HistoryRowCodec.Encode(ref state, in row, buffer);
        Assert.Throws<ArgumentException>(() => HistoryRowCodec.Encode(ref state, in row, buffer)); // same (index, ordinal) twice
        var earlier = row with { Index = 9, Ordinal = 100 };
        Assert.Throws<ArgumentException>(() => HistoryRowCodec.Encode(ref state, in earlier, buffer));
        var noKind = row with { Kind = 0, Index = 11 };
        Assert.Throws<ArgumentOutOfRangeException>(() => HistoryRowCodec.Encode(ref state, in noKind, buffer));
        var badKind = row with { Kind = (LedgerEventKind)8, Index = 11 };
        Assert.Throws<ArgumentOutOfRangeException>(() => HistoryRowCodec.Encode(ref state, in badKind, buffer));
        var badSide = row with { Side = (HistorySide)3, Index = 11 };
        Assert.Throws<ArgumentOutOfRangeException>(() => HistoryRowCodec.Encode(ref state, in badSide, buffer));
    }

    [Fact]
    public void Cut_flipped_and_forged_chunks_are_invalid_data_never_another_exception()
    {
        var random = new Random(7);
        var rows = new HistoryRow[12];
        for (int i = 0; i < rows.Length; i++) rows[i] = RandomRow(random, i, 1000 + (i / 3), (uint)(i % 3));
        byte[] value = new byte[rows.Length * HistoryRowCodec.MaxEncodedBytes];
        byte[] key = new byte[ReadModelKeys.HistoryKeyBytes];
        int length = Encode(rows, value, key);
        var decoded = new HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];

        // Every cut that does not fall on a row boundary is refused; one on a boundary is a shorter, valid chunk.
        var boundaries = new HashSet<int>();
        var state = HistoryRowCodec.State.ForChunk(rows[0].Index, rows[0].Ordinal);
        int at = 0;
        foreach (HistoryRow r in rows) { at += HistoryRowCodec.Encode(ref state, in r, new byte[HistoryRowCodec.MaxEncodedBytes]); boundaries.Add(at); }
        for (int cut = 1; cut < length; cut++)
        {
            if (boundaries.Contains(cut)) Assert.InRange(HistoryChunk.Decode(key, value.AsSpan(0, cut), decoded), 1, rows.Length - 1);
            else Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, value.AsSpan(0, cut), decoded));
        }

        // Any single flipped bit or random garbage: a decoded chunk or InvalidDataException, nothing else.
        for (int trial = 0; trial < 20_000; trial++)
        {
            byte[] bad = value.AsSpan(0, length).ToArray();
            if (trial < length * 8) bad[trial / 8] ^= (byte)(1 << (trial % 8));
            else random.NextBytes(bad.AsSpan(0, random.Next(1, bad.Length + 1)));
            try
            {
                int n = HistoryChunk.Decode(key, bad, decoded);
                Assert.InRange(n, 1, HistoryChunkBuilder.MaxRowsPerChunk);
            }
            catch (InvalidDataException)
            {
            }
        }

        // Precise refusals.
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, [0x00, 0, 0, 0, 0, 0, 0, 0, 0], decoded)); // kind 0
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, [0x1B, 0, 0, 0, 0, 0, 0, 0, 0], decoded)); // side 3
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, [0x43, 0, 0, 0, 0, 0, 0, 0, 0], decoded)); // reserved bit
        byte[] overlong = [0x03, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0, 0, 0, 0, 0];
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, overlong, decoded)); // 65-bit number
        byte[] elevenBytes = [0x03, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0, 0, 0, 0];
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, elevenBytes, decoded));
        // Two rows at the same (index, ordinal): the second encodes index and ordinal deltas 0.
        byte[] twice = [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, twice, decoded));
        Assert.Equal(1, HistoryChunk.Decode(key, twice.AsSpan(0, 9), decoded));
        // More rows than a chunk holds.
        byte[] tooMany = new byte[9 * (HistoryChunkBuilder.MaxRowsPerChunk + 1)];
        for (int i = 0; i < HistoryChunkBuilder.MaxRowsPerChunk + 1; i++) { tooMany[i * 9] = 0x03; tooMany[(i * 9) + 1] = (byte)(i == 0 ? 0 : 1); }
        Assert.Equal(HistoryChunkBuilder.MaxRowsPerChunk, HistoryChunk.Decode(key, tooMany.AsSpan(0, tooMany.Length - 9), decoded));
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, tooMany, decoded));
        // An index delta that would overflow the log index.
        ReadModelKeys.WriteHistory(key, 1, 1, long.MaxValue, 0);
        byte[] overflow = [0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 1, 0, 0, 0, 0, 0, 0, 0];
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, overflow, decoded));
    }

    private static int Encode(ReadOnlySpan<HistoryRow> rows, byte[] value, byte[] key)
    {
        ReadModelKeys.WriteHistory(key, 1, 42, rows[0].Index, rows[0].Ordinal);
        var state = HistoryRowCodec.State.ForChunk(rows[0].Index, rows[0].Ordinal);
        int length = 0;
        foreach (HistoryRow row in rows) length += HistoryRowCodec.Encode(ref state, in row, value.AsSpan(length));
        return length;
    }

    private static HistoryRow RandomRow(Random random, int round, long index, uint ordinal)
    {
        bool account = random.Next(5) == 0;
        long Pick() => random.Next(4) == 0 ? Extremes[random.Next(Extremes.Length)] : random.NextInt64(long.MinValue, long.MaxValue);
        UInt128 Id() => random.Next(6) == 0 ? UInt128.Zero : new UInt128((ulong)random.NextInt64(), (ulong)random.NextInt64());
        return new HistoryRow
        {
            Kind = account ? (random.Next(2) == 0 ? LedgerEventKind.AccountCreated : LedgerEventKind.AccountClosed) : (LedgerEventKind)random.Next(3, 8),
            Side = account ? HistorySide.Account : (HistorySide)random.Next(1, 3),
            Index = index,
            Ordinal = ordinal,
            CommandTimestamp = round % 2 == 0 ? Pick() : 1_764_000_000_000_000_000 + (index % 1_000_000),
            EventTimestamp = Pick(),
            // Account events carry no transfer fields; a transfer row may still have any of them zero.
            TransferId = account ? UInt128.Zero : Id(),
            CounterpartyId = account ? UInt128.Zero : Id(),
            Amount = account ? 0 : Pick(),
            After = new AccountBalances { DebitsPending = Pick(), DebitsPosted = Pick(), CreditsPending = Pick(), CreditsPosted = Pick() },
        };
    }
}
