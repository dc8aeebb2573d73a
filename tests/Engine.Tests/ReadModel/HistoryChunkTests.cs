using System.Buffers.Binary;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Engine.Tests.Partition;
using Wallet.Engine.Tests.Support;
using static Wallet.Engine.Tests.Ledger.LedgerHarness;
using static Wallet.Engine.Tests.ReadModel.HistoryPages;

namespace Wallet.Engine.Tests.ReadModel;

/// <summary>
/// History is stored in chunks (per account and write batch, at most 256 rows). The same journal projected with
/// three batchings — one record per batch (chunks of a record's rows), small batches that cut between records,
/// and one batch for everything (chunks split at 256 rows, once in the middle of a record) — must answer every
/// query the same, and point-in-time answers must equal a replay of the journal, at every log index (so at the
/// first and the last row of every chunk), at every command stamp and one nanosecond either side.
/// </summary>
public sealed class HistoryChunkTests
{
    private static readonly UInt128[] Accounts = [1, 2, 3, 4];

    [Fact]
    public void Every_batching_answers_the_same_and_equals_replay()
    {
        using var dir = new TempDirectory("rm-chunks");
        var stamps = new List<long>();
        long lastIndex;
        using (var p = new PartitionFixture(dir.Path))
        {
            p.CreateAccounts(Acc(1), Acc(2), Acc(3), Acc(4));
            ulong id = 1;
            // Account 4: one early change, then none for seven records (several history epochs in the epoch views below).
            stamps.Add(Command(p, ref id, 1, i => (4, 2)));
            // 100 + 256 rows of account 1 in two consecutive records: with one batch, its first chunk ends at ordinal
            // 155 of the second record and the next chunk starts there.
            stamps.Add(Command(p, ref id, 100, i => (1, 2)));
            stamps.Add(Command(p, ref id, 256, i => (i % 3) switch { 0 => (1, 2), 1 => (2, 1), _ => (1, 3) }));
            for (int c = 0; c < 6; c++) stamps.Add(Command(p, ref id, 1 + (c * 37 % 50), i => ((i + c) % 2 == 0 ? (UInt128)2 : 3, 1)));
            stamps.Add(Command(p, ref id, 3, i => (2, 4)));
            stamps.Add(Command(p, ref id, 256, i => (3, 2)));
            lastIndex = p.Engine.AppliedIndex;
            Assert.True(p.Stop(snapshot: false));
        }

        using var events = Wallet.Engine.Journal.Journal.OpenReadOnly(new Wallet.Engine.Journal.JournalOptions { Directory = dir.Path, FilePrefix = PartitionEngine.EventJournalPrefix });
        using ReadModelStore one = Build(dir.Path, "one", events, int.MaxValue >> 10);
        using ReadModelStore perRecord = Build(dir.Path, "per-record", events, 1);
        using ReadModelStore small = Build(dir.Path, "small", events, 150);
        // History epochs: a new one at every batch (one record each), and one every ~200 rows of 150-event batches.
        using ReadModelStore epochPerRecord = Build(dir.Path, "epoch-per-record", events, 1, historyEpochRows: 1);
        using ReadModelStore epochs = Build(dir.Path, "epochs", events, 150, historyEpochRows: 200);
        // The same through the ingest path (these batches are small enough for the memtable path otherwise).
        using ReadModelStore epochsIngested = Build(dir.Path, "epochs-ingested", events, 150, historyEpochRows: 200, ingestMinEvents: 0);
        ReadModelStore[] views = [one, perRecord, small, epochPerRecord, epochs, epochsIngested];
        foreach (ReadModelStore s in views) Assert.Equal(lastIndex, s.Position.Index);
        Assert.Single(Epochs(one));
        Assert.InRange(Epochs(epochPerRecord).Count, 11, (int)lastIndex); // one per record with events
        Assert.InRange(Epochs(epochs).Count, 3, 10);
        Assert.Equal(Epochs(epochs), Epochs(epochsIngested));

        // The single batch really split account 1's rows: more than one chunk, one of them starting mid-record.
        List<(long Index, uint Ordinal, int Rows)> chunks = Chunks(one, 1);
        Assert.True(chunks.Count >= 3, $"expected split chunks, got {chunks.Count}");
        Assert.Contains(chunks, c => c.Ordinal != 0);
        Assert.All(chunks, c => Assert.InRange(c.Rows, 1, HistoryChunkBuilder.MaxRowsPerChunk));
        Assert.True(Chunks(perRecord, 1).Count > chunks.Count);

        // History: both directions, page sizes that end inside, at and across chunk boundaries; same in every view.
        foreach (UInt128 account in Accounts)
        {
            List<HistoryRow> reference = ReadAll(one, account, newestFirst: false, pageSize: 1000);
            Assert.Equal(LedgerEventKind.AccountCreated, reference[0].Kind);
            for (int i = 1; i < reference.Count; i++)
                Assert.True(reference[i].Index > reference[i - 1].Index || (reference[i].Index == reference[i - 1].Index && reference[i].Ordinal > reference[i - 1].Ordinal));
            foreach (ReadModelStore s in views)
            {
                foreach (int pageSize in (int[])[1, 7, 155, 256, 257])
                {
                    Assert.Equal(reference, ReadAll(s, account, newestFirst: false, pageSize));
                    List<HistoryRow> newest = ReadAll(s, account, newestFirst: true, pageSize);
                    newest.Reverse();
                    Assert.Equal(reference, newest);
                }
                // A time window in the middle: exactly the rows stamped inside it, in both orders.
                long from = stamps[1], to = stamps[4];
                var expected = reference.FindAll(r => r.CommandTimestamp >= from && r.CommandTimestamp <= to);
                if (account != 4) Assert.NotEmpty(expected); // account 4 has no change in that window (an empty answer is checked too)
                Assert.Equal(expected, ReadAll(s, account, newestFirst: false, pageSize: 9, from, to));
                List<HistoryRow> back = ReadAll(s, account, newestFirst: true, pageSize: 9, from, to);
                back.Reverse();
                Assert.Equal(expected, back);
                // Windows at the edges and between stamps (the walk starts at the window's end through the time index).
                (long From, long To)[] windows =
                [
                    (0, stamps[0] - 1), (stamps[^1] + 1, long.MaxValue), (stamps[5], stamps[5]), (stamps[5] + 1, stamps[6] - 1),
                    (stamps[2] - 1, stamps[7] + 1), (0, stamps[3]), (stamps[6], long.MaxValue), (1, long.MaxValue - 1),
                ];
                foreach ((long wFrom, long wTo) in windows)
                {
                    var inWindow = reference.FindAll(r => r.CommandTimestamp >= wFrom && r.CommandTimestamp <= wTo);
                    Assert.Equal(inWindow, ReadAll(s, account, newestFirst: false, pageSize: 4, wFrom, wTo));
                    List<HistoryRow> newestFirst = ReadAll(s, account, newestFirst: true, pageSize: 4, wFrom, wTo);
                    newestFirst.Reverse();
                    Assert.Equal(inWindow, newestFirst);
                }
            }
            // Balance now = the newest row.
            foreach (ReadModelStore s in views)
            {
                Assert.True(s.TryGetAccount(account, out AccountView now, out _));
                Assert.Equal(reference[^1].After, AccountBalances.Of(now.Account));
                Assert.Equal(reference[^1].Index, now.Index);
            }
        }

        // Point in time: every index and every stamp ±1 ns, in every view, equal to the replay.
        LedgerOptions ledger = new PartitionFixture.OptionsOnly(dir.Path).Ledger;
        var targets = new List<ReplayTarget>();
        for (long index = 1; index <= lastIndex; index++) targets.Add(ReplayTarget.AtIndex(index));
        foreach (long stamp in stamps)
        {
            targets.Add(ReplayTarget.AtTime(stamp - 1));
            targets.Add(ReplayTarget.AtTime(stamp));
            targets.Add(ReplayTarget.AtTime(stamp + 1));
        }
        foreach (ReplayTarget target in targets)
        {
            ReplayResult replay = LedgerReplay.Replay(dir.Path, ledger, target, useSnapshots: false);
            foreach (UInt128 account in Accounts)
            {
                foreach (ReadModelStore s in views)
                {
                    BalanceAt view = s.GetBalanceAt(account, target);
                    if (replay.Ledger.TryGetAccount(account, out Account expected))
                    {
                        Assert.True(view.Status == BalanceAtStatus.Found, $"{target}: account {account}: {view.Status}");
                        Assert.Equal(AccountBalances.Of(expected), view.Balances);
                    }
                    else
                    {
                        Assert.Equal(BalanceAtStatus.NotFound, view.Status);
                    }
                }
            }
        }
        Assert.Equal(BalanceAtStatus.ViewBehind, one.GetBalanceAt(1, ReplayTarget.AtIndex(lastIndex + 1)).Status);
    }

    [Fact]
    public void Chunk_search_finds_first_and_last_rows_and_rejects_corrupt_values()
    {
        (long, uint)[] keys = [(5, 0), (5, 7), (9, 2)];
        byte[] value = new byte[3 * HistoryRowCodec.MaxEncodedBytes];
        var state = HistoryRowCodec.State.ForChunk(5, 0);
        int length = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            var row = new HistoryRow { Kind = LedgerEventKind.TransferPosted, Side = HistorySide.Debit, Index = keys[i].Item1, Ordinal = keys[i].Item2 };
            length += HistoryRowCodec.Encode(ref state, in row, value.AsSpan(length));
        }
        byte[] key = new byte[ReadModelKeys.HistoryKeyBytes];
        ReadModelKeys.WriteHistory(key, 1, 1, 5, 0);
        var rows = new HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
        HistoryRow[] chunk = rows[..HistoryChunk.Decode(key, value.AsSpan(0, length), rows)];
        Assert.Equal(3, chunk.Length);
        Assert.Equal(-1, HistoryChunk.LastAtOrBefore(chunk, 4, uint.MaxValue));
        Assert.Equal(0, HistoryChunk.LastAtOrBefore(chunk, 5, 0));
        Assert.Equal(0, HistoryChunk.LastAtOrBefore(chunk, 5, 6));
        Assert.Equal(1, HistoryChunk.LastAtOrBefore(chunk, 5, uint.MaxValue));
        Assert.Equal(1, HistoryChunk.LastAtOrBefore(chunk, 9, 1));
        Assert.Equal(2, HistoryChunk.LastAtOrBefore(chunk, 9, 2));
        Assert.Equal(2, HistoryChunk.LastAtOrBefore(chunk, long.MaxValue, uint.MaxValue));
        Assert.Equal(-1, HistoryChunk.LastBefore(chunk, 5, 0));
        Assert.Equal(1, HistoryChunk.LastBefore(chunk, 9, 2));
        Assert.Equal(0, HistoryChunk.FirstAfter(chunk, 0, 0));
        Assert.Equal(1, HistoryChunk.FirstAfter(chunk, 5, 0));
        Assert.Equal(3, HistoryChunk.FirstAfter(chunk, 9, 2));
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, value.AsSpan(0, length - 1), rows));
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key, [], rows));
        // A value under a key that is not a history key is refused.
        Assert.Throws<InvalidDataException>(() => HistoryChunk.Decode(key.AsSpan(0, ReadModelKeys.IdKeyBytes), value.AsSpan(0, length), rows));
    }

    /// <summary>One command of <paramref name="n"/> transfers between the accounts <paramref name="pair"/> picks; returns its stamp.</summary>
    private static long Command(PartitionFixture p, ref ulong id, int n, Func<int, (UInt128 Debit, UInt128 Credit)> pair)
    {
        p.Clock.Advance(1_000_000);
        var batch = new Transfer[n];
        for (int i = 0; i < n; i++)
        {
            (UInt128 debit, UInt128 credit) = pair(i);
            batch[i] = Tx(id++, debit, credit, 1 + i % 97);
        }
        Assert.All(p.CreateTransfers(batch), code => Assert.Equal(ResultCode.Ok, code));
        using Wallet.Engine.Journal.JournalReader reader = p.Engine.EventJournal!.OpenReader(p.Engine.AppliedIndex);
        Assert.True(reader.TryRead(out Wallet.Engine.Journal.JournalRecord record));
        return record.Timestamp;
    }

    private static ReadModelStore Build(string dataDir, string name, Wallet.Engine.Journal.Journal events, int maxEventsPerBatch, int historyEpochRows = 1 << 22, int ingestMinEvents = 16_384)
    {
        ReadModelStore store = ReadModelStore.Open(Path.Combine(dataDir, "view-" + name));
        using var projector = new ReadModelProjector(store, events, new ReadModelOptions { MaxEventsPerBatch = maxEventsPerBatch, HistoryEpochRows = historyEpochRows, IngestMinEvents = ingestMinEvents });
        Assert.True(projector.CatchUp() > 0);
        return store;
    }

    /// <summary>The distinct history epochs of a view's chunks, ascending.</summary>
    private static List<long> Epochs(ReadModelStore store)
    {
        var result = new List<long>();
        byte[] first = [ReadModelKeys.History];
        using RocksDbSharp.Iterator it = store.Db.NewIterator();
        for (it.Seek(first); it.Valid() && it.GetKeySpan()[0] == ReadModelKeys.History; it.Next())
        {
            long epoch = ReadModelKeys.HistoryEpochOf(it.GetKeySpan());
            if (result.Count == 0 || result[^1] != epoch) result.Add(epoch);
        }
        return result;
    }

    /// <summary>The stored chunks of an account, in key order (epoch, then first row): key (index, ordinal of the first row) and rows.</summary>
    private static List<(long, uint, int)> Chunks(ReadModelStore store, UInt128 account)
    {
        var result = new List<(long, uint, int)>();
        byte[] first = [ReadModelKeys.History];
        using RocksDbSharp.Iterator it = store.Db.NewIterator();
        for (it.Seek(first); it.Valid() && it.GetKeySpan()[0] == ReadModelKeys.History; it.Next())
        {
            ReadOnlySpan<byte> key = it.GetKeySpan();
            if (ReadModelKeys.HistoryAccount(key) != account) continue;
            ReadOnlySpan<byte> value = it.GetValueSpan();
            var decoded = new HistoryRow[HistoryChunkBuilder.MaxRowsPerChunk];
            int rows = HistoryChunk.Decode(key, value, decoded);
            HistoryRow row = decoded[0];
            Assert.Equal(row.Index, ReadModelKeys.HistoryIndex(key));
            Assert.Equal(row.Ordinal, ReadModelKeys.HistoryOrdinal(key));
            Assert.True(ReadModelKeys.HistoryEpochOf(key) <= row.Index, "a chunk's rows are in or after its epoch");
            result.Add((BinaryPrimitives.ReadInt64BigEndian(key.Slice(25, 8)), ReadModelKeys.HistoryOrdinal(key), rows));
        }
        return result;
    }
}
